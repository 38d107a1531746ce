// etcd's Lease service. Grants, revokes and keep-alives go through Raft (a
// keep-alive restarts the lease's expiry on every member as it applies, so
// any member can serve it); TimeToLive and Leases read the local state
// after a ReadIndex barrier. Answers follow etcd 3.4: an unknown lease in a
// keep-alive gets TTL 0, in TimeToLive TTL -1.

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { EtcdError, isEtcdError } from '../errors.js';
import type { LeaseClock } from '../lease/lease-clock.js';
import type { LeaseStore } from '../lease/lease-store.js';
import type { Applied } from '../apply/state-machine.js';
import type { ResponseHeader, ServerContext } from './context.js';
import { toServiceError } from './status.js';
import { unary } from './unary.js';

/** etcd's MaxLeaseTTL. */
export const MAX_LEASE_TTL = 9_000_000_000;

interface KeepAliveResponse {
  readonly header: ResponseHeader;
  readonly ID: string;
  readonly TTL: string;
}

/** A fresh positive 63-bit id no live lease has. */
function newLeaseId(taken: (id: bigint) => boolean): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
    if (id !== 0n && !taken(id)) return id;
  }
}

export function leaseService(ctx: ServerContext, leases: LeaseStore, clock: LeaseClock, minTtl: number): UntypedServiceImplementation {
  return {
    LeaseGrant: unary(ctx, 'LeaseGrant', async (req: { TTL: string; ID: string }) => {
      const asked = Number(req.TTL);
      if (asked > MAX_LEASE_TTL) throw new EtcdError('LeaseTTLTooLarge');
      const ttl = Math.max(minTtl, Number.isSafeInteger(asked) ? asked : 0);
      const id = req.ID === '0' || req.ID === '' ? newLeaseId((x) => leases.ttlOf(x) !== undefined) : BigInt(req.ID);
      if (id <= 0n) throw new EtcdError('LeaseNotFound', 'a lease id is positive');
      const applied = await ctx.propose<Applied<{ ID: string; TTL: string }>>({ kind: 'lease-grant', req: { ID: String(id), TTL: String(ttl) } });
      return { header: ctx.header(applied.revision), ID: applied.result.ID, TTL: applied.result.TTL, error: '' };
    }),
    LeaseRevoke: unary(ctx, 'LeaseRevoke', async (req: { ID: string }) => {
      const applied = await ctx.propose<Applied>({ kind: 'lease-revoke', req: { ID: req.ID } });
      return { header: ctx.header(applied.revision) };
    }),
    LeaseTimeToLive: unary(ctx, 'LeaseTimeToLive', async (req: { ID: string; keys: boolean }) => {
      await ctx.linearizableBarrier();
      const id = BigInt(req.ID);
      const left = clock.remaining(id);
      if (left === undefined || leases.ttlOf(id) === undefined) return { header: ctx.header(), ID: req.ID, TTL: '-1', grantedTTL: '0', keys: [] };
      const keys = req.keys ? await leases.keysOf(id) : [];
      return { header: ctx.header(), ID: req.ID, TTL: String(left.ttl), grantedTTL: String(left.granted), keys };
    }),
    LeaseLeases: unary(ctx, 'LeaseLeases', async () => {
      await ctx.linearizableBarrier();
      const all = await leases.list();
      return { header: ctx.header(), leases: all.map((l) => ({ ID: String(l.id) })) };
    }),
    LeaseKeepAlive(call: ServerDuplexStream<{ ID: string }, KeepAliveResponse>): void {
      let closed = false;
      const close = (): void => {
        closed = true;
      };
      call.on('data', (req: { ID: string }) => {
        ctx.propose<Applied<{ ID: string; TTL: string }>>({ kind: 'lease-renew', req: { ID: req.ID } }).then(
          (applied) => {
            if (!closed) call.write({ header: ctx.header(applied.revision), ID: req.ID, TTL: applied.result.TTL });
          },
          (err: unknown) => {
            if (closed) return;
            if (isEtcdError(err, 'LeaseNotFound')) call.write({ header: ctx.header(), ID: req.ID, TTL: '0' });
            else {
              closed = true;
              call.destroy(toServiceError(err));
            }
          },
        );
      });
      call.on('end', () => {
        close();
        call.end();
      });
      call.on('error', close);
      call.on('cancelled', close);
    },
  };
}
