// etcd's Maintenance service: Status (version, sizes, leader, Raft
// indexes), Hash/HashKV over the MVCC state, Defragment (a full LSM
// compaction), Alarm (Strata raises none), MoveLeader (leader transfer).
// Snapshot and Downgrade are etcd-file-format specific and not supported.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../errors.js';
import type { ServerContext } from './context.js';
import { unary } from './unary.js';

/** The etcd API version Strata speaks, with its own version as build metadata. */
export const VERSION = '3.4.0';

export interface MaintenanceOps {
  status(): { leader: number; term: number; commit: number; applied: number; dbSize: number; isLearner: boolean };
  hashKV(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }>;
  defragment(): Promise<void>;
  moveLeader(target: number): Promise<void>;
}

export function maintenanceService(ctx: ServerContext, ops: MaintenanceOps): UntypedServiceImplementation {
  return {
    Status: unary(ctx, 'Status', () => {
      const s = ops.status();
      return Promise.resolve({
        header: ctx.header(),
        version: VERSION,
        dbSize: String(s.dbSize),
        leader: String(s.leader),
        raftIndex: String(s.commit),
        raftTerm: String(s.term),
        raftAppliedIndex: String(s.applied),
        errors: [],
        dbSizeInUse: String(s.dbSize),
        isLearner: s.isLearner,
      });
    }),
    Hash: unary(ctx, 'Hash', async () => {
      const h = await ops.hashKV(0);
      return { header: ctx.header(h.revision), hash: h.hash };
    }),
    HashKV: unary(ctx, 'HashKV', async (req: { revision: string }) => {
      const h = await ops.hashKV(Number(req.revision));
      return { header: ctx.header(h.revision), hash: h.hash, compact_revision: String(h.compactRevision) };
    }),
    Defragment: unary(ctx, 'Defragment', async () => {
      await ops.defragment();
      return { header: ctx.header() };
    }),
    Alarm: unary(ctx, 'Alarm', () => Promise.resolve({ header: ctx.header(), alarms: [] })),
    MoveLeader: unary(ctx, 'MoveLeader', async (req: { targetID: string }) => {
      await ops.moveLeader(Number(req.targetID));
      return { header: ctx.header() };
    }),
    Snapshot(call: { destroy(err: Error): void }): void {
      call.destroy(new EtcdError('Unimplemented', 'Snapshot'));
    },
    Downgrade: unary(ctx, 'Downgrade', () => Promise.reject(new EtcdError('Unimplemented', 'Downgrade'))),
  };
}
