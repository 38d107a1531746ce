// etcd's KV writes as they apply on every member: Put (prev_kv,
// ignore_value, ignore_lease, lease checks), DeleteRange (prev_kv), Txn
// (every compare is evaluated against the state before the txn, choosing
// the whole path through nested txns first, then the chosen ops run in
// order, reads seeing earlier writes) and Compact. A request bumps the
// revision once. An etcd error leaves the state untouched.

import { compareBytes } from '@strata/engine';
import { EtcdError } from '../errors.js';
import type { LeaseStore } from '../lease/lease-store.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { liveVersions, rangeFrom, toKeyValue } from '../mvcc/reads.js';
import type { Version } from '../mvcc/version-record.js';
import type { WriteTxn } from '../mvcc/write-txn.js';
import {
  CMP_CREATE,
  CMP_LEASE,
  CMP_MOD,
  CMP_VALUE,
  CMP_VERSION,
  COMPARE_EQUAL,
  COMPARE_GREATER,
  COMPARE_LESS,
  COMPARE_NOT_EQUAL,
  type Compare,
  type CompactionRequest,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from './kv-types.js';

interface Ctx {
  readonly txn: WriteTxn;
  readonly leases: LeaseStore;
  readonly store: MvccStore;
}

export async function putIn(c: Ctx, req: PutRequest): Promise<PutResponse> {
  const prev = await c.txn.get(req.key);
  if ((req.ignore_value || req.ignore_lease) && prev === undefined) throw new EtcdError('KeyNotFound');
  const value = req.ignore_value && prev ? prev.value : req.value;
  const lease = req.ignore_lease && prev ? prev.lease : BigInt(req.lease);
  if (lease !== 0n && c.leases.ttlOf(lease) === undefined) throw new EtcdError('LeaseNotFound');
  await c.txn.put(req.key, value, lease);
  return { prev_kv: req.prev_kv && prev !== undefined ? toKeyValue(prev) : null };
}

export async function deleteIn(c: Ctx, req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
  const gone = await c.txn.deleteRange(req.key, req.range_end);
  return { deleted: String(gone.length), prev_kvs: req.prev_kv ? gone.map(toKeyValue) : [] };
}

async function rangeIn(c: Ctx, req: RangeRequest): Promise<RangeResponse> {
  const rev = Number(req.revision);
  if (rev > 0 && rev < c.txn.rev) return rangeFrom(liveVersions(c.store.engine, req.key, req.range_end, c.store.checkRevision(rev)), req);
  return rangeFrom(await c.txn.live(req.key, req.range_end), req);
}

function compareOne(cmp: Compare, v: Version | undefined): boolean {
  let r: number;
  switch (cmp.target) {
    case CMP_VALUE:
      r = compareBytes(v?.value ?? new Uint8Array(0), cmp.value ?? new Uint8Array(0));
      break;
    case CMP_CREATE:
      r = (v?.createRevision ?? 0) - Number(cmp.create_revision ?? 0);
      break;
    case CMP_MOD:
      r = (v?.modRevision ?? 0) - Number(cmp.mod_revision ?? 0);
      break;
    case CMP_VERSION:
      r = (v?.version ?? 0) - Number(cmp.version ?? 0);
      break;
    case CMP_LEASE: {
      const d = (v?.lease ?? 0n) - BigInt(cmp.lease ?? '0');
      r = d === 0n ? 0 : d > 0n ? 1 : -1;
      break;
    }
    default:
      return false;
  }
  switch (cmp.result) {
    case COMPARE_EQUAL:
      return r === 0;
    case COMPARE_NOT_EQUAL:
      return r !== 0;
    case COMPARE_GREATER:
      return r > 0;
    case COMPARE_LESS:
      return r < 0;
    default:
      return false;
  }
}

async function holds(c: Ctx, cmp: Compare): Promise<boolean> {
  const versions = cmp.range_end.length === 0 ? [await c.txn.get(cmp.key)].filter((v): v is Version => v !== undefined) : await c.txn.live(cmp.key, cmp.range_end);
  // A value compare on missing keys always fails; other targets compare against zero.
  if (versions.length === 0) return cmp.target !== CMP_VALUE && compareOne(cmp, undefined);
  return versions.every((v) => compareOne(cmp, v));
}

/** The branch a txn takes and, for nested txns among its ops, theirs (all decided before any op runs). */
interface Path {
  readonly succeeded: boolean;
  readonly ops: readonly RequestOp[];
  readonly nested: ReadonlyMap<number, Path>;
}

async function choose(c: Ctx, req: TxnRequest): Promise<Path> {
  let succeeded = true;
  for (const cmp of req.compare) {
    if (!(await holds(c, cmp))) {
      succeeded = false;
      break;
    }
  }
  const ops = succeeded ? req.success : req.failure;
  const nested = new Map<number, Path>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op?.request === 'request_txn' && op.request_txn) nested.set(i, await choose(c, op.request_txn));
    // etcd checks the revisions of the path's reads before running it.
    if (op?.request === 'request_range' && op.request_range && Number(op.request_range.revision) > 0) c.store.checkRevision(Number(op.request_range.revision));
  }
  return { succeeded, ops, nested };
}

async function run(c: Ctx, path: Path): Promise<TxnResponse> {
  const responses: ResponseOp[] = [];
  for (let i = 0; i < path.ops.length; i++) {
    const op = path.ops[i];
    if (op === undefined) continue;
    if (op.request === 'request_range' && op.request_range) responses.push({ response: 'response_range', response_range: await rangeIn(c, op.request_range) });
    else if (op.request === 'request_put' && op.request_put) responses.push({ response: 'response_put', response_put: await putIn(c, op.request_put) });
    else if (op.request === 'request_delete_range' && op.request_delete_range) responses.push({ response: 'response_delete_range', response_delete_range: await deleteIn(c, op.request_delete_range) });
    else if (op.request === 'request_txn' && op.request_txn) {
      const nested = path.nested.get(i);
      if (nested !== undefined) responses.push({ response: 'response_txn', response_txn: await run(c, nested) });
    }
  }
  return { succeeded: path.succeeded, responses };
}

export function applyPut(store: MvccStore, leases: LeaseStore, index: number, req: PutRequest): Promise<PutResponse> {
  return store.apply(index, (txn) => putIn({ txn, leases, store }, req));
}

export function applyDeleteRange(store: MvccStore, leases: LeaseStore, index: number, req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
  return store.apply(index, (txn) => deleteIn({ txn, leases, store }, req));
}

export function applyTxn(store: MvccStore, leases: LeaseStore, index: number, req: TxnRequest): Promise<TxnResponse> {
  return store.apply(index, async (txn) => {
    const c = { txn, leases, store };
    return run(c, await choose(c, req));
  });
}

export async function applyCompaction(store: MvccStore, index: number, req: CompactionRequest): Promise<object> {
  await store.compact(index, Number(req.revision));
  return {};
}
