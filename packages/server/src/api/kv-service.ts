// etcd's KV service. Requests are checked as etcd checks them before
// anything is proposed; writes go through Raft and answer with the revision
// their apply produced; Range is served from the local state machine,
// after a ReadIndex barrier unless the client asked for a serializable read.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../errors.js';
import type { CompactionRequest, DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest } from '../kv/kv-types.js';
import { validateDeleteRange, validatePut, validateRange, validateTxn } from '../kv/validate.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import type { Applied } from '../apply/state-machine.js';
import type { ServerContext } from './context.js';
import { unary } from './unary.js';

/** Encoded size of a request, as etcd's --max-request-bytes measures it. */
export type RequestSizer = (method: string, req: unknown) => number;

export function kvService(ctx: ServerContext, store: MvccStore, sizeOf: RequestSizer): UntypedServiceImplementation {
  const checkSize = (method: string, req: unknown): void => {
    if (sizeOf(method, req) > ctx.config.maxRequestBytes) throw new EtcdError('RequestTooLarge');
  };
  const write = async <T extends object>(method: string, cmd: Parameters<ServerContext['propose']>[0], req: unknown): Promise<T> => {
    checkSize(method, req);
    const applied = await ctx.propose<Applied<T>>(cmd);
    return { header: ctx.header(applied.revision), ...applied.result };
  };
  return {
    Range: unary(ctx, 'Range', async (req: RangeRequest) => {
      validateRange(req);
      if (!req.serializable) await ctx.linearizableBarrier();
      const res = await store.range(req);
      return { header: ctx.header(res.revision), ...res.response };
    }),
    Put: unary(ctx, 'Put', (req: PutRequest) => {
      validatePut(req);
      return write('Put', { kind: 'put', req }, req);
    }),
    DeleteRange: unary(ctx, 'DeleteRange', (req: DeleteRangeRequest) => {
      validateDeleteRange(req);
      return write('DeleteRange', { kind: 'delete-range', req }, req);
    }),
    Txn: unary(ctx, 'Txn', (req: TxnRequest) => {
      validateTxn(req, ctx.config.maxTxnOps);
      return write('Txn', { kind: 'txn', req }, req);
    }),
    Compact: unary(ctx, 'Compact', async (req: CompactionRequest) => {
      const applied = await ctx.propose<Applied<object>>({ kind: 'compaction', req });
      return { header: ctx.header(applied.revision), ...applied.result };
    }),
  };
}
