// The replicated state machine behind the Raft driver: decodes each applied
// entry's command and applies it to the MVCC store, the lease table and the
// member list, recording the entry's index in the same engine write. An
// apply-time etcd error (an unknown lease, say) changes nothing but the
// applied index and goes back to the proposer; any other error is a broken
// member and stops the Raft loop. Applies run one at a time, in log order.

import type { StorageEngine } from '@strata/engine';
import type { ConfChange, ConfState, Entry, Snapshot } from '@strata/raft';
import { EtcdError } from '../errors.js';
import { applyCompaction, applyDeleteRange, applyPut, applyTxn } from '../kv/apply-kv.js';
import type { LeaseClock } from '../lease/lease-clock.js';
import type { LeaseStore } from '../lease/lease-store.js';
import type { Member } from '../membership/member.js';
import type { Membership } from '../membership/membership.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { decodeCommand, type Command } from '../raft/command.js';
import type { Proposals } from '../raft/proposals.js';
import type { ApplyTarget } from '../raft/raft-node.js';

/** What a proposer gets back: the apply result and the store revision after it. */
export interface Applied<T = unknown> {
  readonly revision: number;
  readonly result: T;
}

/** A conf change context: the member record, and the request waiting for it. */
export interface MemberChangeContext {
  readonly member: Member;
  readonly proposer: number;
  readonly seq: number;
}

export interface StateMachineParts {
  readonly selfId: number;
  readonly engine: StorageEngine;
  readonly store: MvccStore;
  readonly leases: LeaseStore;
  readonly clock: LeaseClock;
  readonly membership: Membership;
  readonly proposals: Proposals;
  /** Called after a proposal of this member applied (metrics). */
  readonly onOwnApplied?: (ok: boolean) => void;
  /** Called after a leader's snapshot replaced the state (metrics). */
  readonly onRestored?: () => void;
  readonly onExported?: () => void;
}

export function decodeMemberContext(bytes: Uint8Array): MemberChangeContext | undefined {
  if (bytes.length === 0) return undefined;
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as MemberChangeContext;
    return typeof v === 'object' && v !== null && typeof v.member === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

export class StateMachine implements ApplyTarget {
  readonly #p: StateMachineParts;

  constructor(parts: StateMachineParts) {
    this.#p = parts;
  }

  get appliedIndex(): number {
    return this.#p.store.appliedIndex;
  }

  async applyEntry(entry: Entry): Promise<void> {
    const { store } = this.#p;
    if (entry.data.length === 0) {
      await store.markApplied(entry.index);
      return;
    }
    const { id, cmd } = decodeCommand(entry.data, `raft entry ${entry.index}`);
    const mine = id.member === this.#p.selfId;
    let outcome: { ok: true; value: Applied } | { ok: false; error: EtcdError };
    try {
      const result = await this.#apply(entry.index, cmd);
      outcome = { ok: true, value: { revision: store.currentRevision, result } };
    } catch (err) {
      if (!(err instanceof EtcdError)) throw err;
      await store.markApplied(entry.index);
      outcome = { ok: false, error: err };
    }
    if (!mine) return;
    this.#p.onOwnApplied?.(outcome.ok);
    if (outcome.ok) this.#p.proposals.settle(id.seq, outcome.value);
    else this.#p.proposals.fail(id.seq, outcome.error);
  }

  async #apply(index: number, cmd: Command): Promise<unknown> {
    const { store, leases, clock } = this.#p;
    switch (cmd.kind) {
      case 'put':
        return applyPut(store, leases, index, cmd.req);
      case 'delete-range':
        return applyDeleteRange(store, leases, index, cmd.req);
      case 'txn':
        return applyTxn(store, leases, index, cmd.req);
      case 'compaction':
        return applyCompaction(store, index, cmd.req);
      case 'lease-grant': {
        const id = BigInt(cmd.req.ID);
        const ttl = Number(cmd.req.TTL);
        await leases.grant(store, index, id, ttl);
        clock.refresh(id, ttl);
        return { ID: cmd.req.ID, TTL: cmd.req.TTL };
      }
      case 'lease-revoke': {
        const id = BigInt(cmd.req.ID);
        try {
          await leases.revoke(store, index, id);
        } finally {
          clock.forget(id);
        }
        return {};
      }
      case 'lease-renew': {
        const id = BigInt(cmd.req.ID);
        await store.markApplied(index);
        const ttl = leases.ttlOf(id);
        if (ttl === undefined) throw new EtcdError('LeaseNotFound');
        clock.refresh(id, ttl);
        return { ID: cmd.req.ID, TTL: String(ttl) };
      }
      case 'member-attributes': {
        const { membership } = this.#p;
        const current = membership.get(Number(cmd.req.id));
        if (current === undefined) throw new EtcdError('MemberNotFound');
        const next = { ...current, name: cmd.req.name, clientUrls: [...cmd.req.clientUrls] };
        await store.markApplied(index, [membership.putOp(next)]);
        membership.commitPut(next);
        return {};
      }
    }
  }

  async applyConfChange(entry: Entry, cc: ConfChange, confState: ConfState): Promise<void> {
    const { store, membership, proposals, selfId } = this.#p;
    const ctx = decodeMemberContext(cc.context);
    const learners = new Set(confState.learners);
    const voters = new Set([...confState.voters, ...confState.votersOutgoing]);
    const puts: Member[] = [];
    const removes: number[] = [];
    for (const c of cc.changes) {
      if (c.kind === 'remove') {
        if (!voters.has(c.node) && !learners.has(c.node)) removes.push(c.node);
      } else {
        const fromCtx = ctx?.member.id === c.node ? ctx.member : undefined;
        puts.push(membership.recordFor(c.node, fromCtx, c.kind === 'add-learner' || learners.has(c.node)));
      }
    }
    await store.markApplied(entry.index, [...puts.map((m) => membership.putOp(m)), ...removes.map((id) => membership.removeOp(id))]);
    for (const m of puts) membership.commitPut(m);
    for (const id of removes) membership.commitRemove(id);
    if (ctx !== undefined && ctx.proposer === selfId) proposals.settle(ctx.seq, { revision: store.currentRevision, result: membership.list() });
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const { store, leases, clock, membership, engine } = this.#p;
    await store.importState(snapshot.data, snapshot.meta.index);
    await membership.load(engine);
    await leases.reload();
    for (const id of clock.ids()) clock.forget(id);
    for (const l of await leases.list()) clock.refresh(l.id, l.ttl);
    this.#p.onRestored?.();
  }

  exportState(): { index: number; data: Promise<Uint8Array> } {
    this.#p.onExported?.();
    return this.#p.store.exportState();
  }

  async sync(): Promise<void> {
    await this.#p.engine.write([], { sync: true });
  }
}
