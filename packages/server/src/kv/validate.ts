// etcd's checks of KV requests, made before anything is proposed (etcd's
// v3rpc checkRangeRequest / checkPutRequest / checkTxnRequest and
// checkIntervals): each failure is the EtcdError etcd returns.

import { compareBytes } from '@strata/engine';
import { EtcdError } from '../errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './kv-types.js';

export function validateRange(r: RangeRequest): void {
  if (r.key.length === 0) throw new EtcdError('EmptyKey');
  if (![0, 1, 2].includes(r.sort_order)) throw new EtcdError('InvalidSortOption');
  if (![0, 1, 2, 3, 4].includes(r.sort_target)) throw new EtcdError('InvalidSortOption');
}

export function validatePut(r: PutRequest): void {
  if (r.key.length === 0) throw new EtcdError('EmptyKey');
  if (r.ignore_value && r.value.length !== 0) throw new EtcdError('ValueProvided');
  if (r.ignore_lease && r.lease !== '0') throw new EtcdError('LeaseProvided');
}

export function validateDeleteRange(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw new EtcdError('EmptyKey');
}

function validateOps(ops: readonly RequestOp[], maxOps: number): void {
  for (const op of ops) {
    if (op.request === 'request_range' && op.request_range) validateRange(op.request_range);
    else if (op.request === 'request_put' && op.request_put) validatePut(op.request_put);
    else if (op.request === 'request_delete_range' && op.request_delete_range) validateDeleteRange(op.request_delete_range);
    else if (op.request === 'request_txn' && op.request_txn) validateTxn(op.request_txn, maxOps);
  }
}

export function validateTxn(r: TxnRequest, maxOps: number): void {
  if (r.compare.length > maxOps || r.success.length > maxOps || r.failure.length > maxOps) throw new EtcdError('TooManyOps');
  for (const c of r.compare) if (c.key.length === 0) throw new EtcdError('EmptyKey');
  validateOps(r.success, maxOps);
  validateOps(r.failure, maxOps);
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

/** A deleted range: [start, end), a single key (end undefined), or every key from start (end null). */
interface Interval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined | null;
}

function covers(iv: Interval, k: Uint8Array): boolean {
  if (iv.end === undefined) return compareBytes(iv.start, k) === 0;
  if (iv.end === null) return compareBytes(k, iv.start) >= 0;
  return compareBytes(k, iv.start) >= 0 && compareBytes(k, iv.end) < 0;
}

const keyOf = (k: Uint8Array): string => Buffer.from(k).toString('latin1');

/** etcd's rule: no key is put twice, or put and deleted, on one path through a txn (then/else branches may overlap). */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.request === 'request_delete_range' ? op.request_delete_range : undefined;
    if (!d) continue;
    const end = d.range_end.length === 0 ? undefined : d.range_end.length === 1 && d.range_end[0] === 0 ? null : d.range_end;
    dels.push({ start: d.key, end });
  }
  const deleted = (k: string): boolean => dels.some((iv) => covers(iv, Buffer.from(k, 'latin1')));
  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.request === 'request_txn' ? op.request_txn : undefined;
    if (!t) continue;
    const then = checkIntervals(t.success);
    const other = checkIntervals(t.failure);
    for (const k of then.puts) {
      if (puts.has(k) || deleted(k)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    for (const k of other.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deleted(k)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...other.dels);
  }
  for (const op of ops) {
    const p = op.request === 'request_put' ? op.request_put : undefined;
    if (!p) continue;
    const k = keyOf(p.key);
    if (puts.has(k) || deleted(k)) throw new EtcdError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}
