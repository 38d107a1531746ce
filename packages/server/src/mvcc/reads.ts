// Reads of the MVCC tables shared by Range, Txn reads and watch history:
// the newest version of a key at a revision, the live keys of a range at a
// revision (one pass over the versions table, newest first within a key),
// and etcd's Range options applied to them.

import { bytesEqual, compareBytes, type ReadView } from '@strata/engine';
import type { KeyValue, RangeRequest, RangeResponse } from '../kv/kv-types.js';
import { decodeUserKey, encodeUserKey, versionKey, versionKeyPrefix, versionKeyRev } from './keys.js';
import { sortAndLimit } from './range-order.js';
import { VERSIONS } from './tables.js';
import { decodeVersion, type Version } from './version-record.js';

/** The bounds of etcd's (key, range_end) in the versions table. */
export function versionBounds(key: Uint8Array, rangeEnd: Uint8Array): { start: Uint8Array; end?: Uint8Array; prefix?: Uint8Array } {
  const start = encodeUserKey(key);
  if (rangeEnd.length === 0) return { start, prefix: start };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start };
  return { start, end: encodeUserKey(rangeEnd) };
}

export function toKeyValue(v: Version): KeyValue {
  return {
    key: v.key,
    create_revision: String(v.createRevision),
    mod_revision: String(v.modRevision),
    version: String(v.version),
    value: v.value,
    lease: String(v.lease),
  };
}

/** The newest version at or below `rev` of every key in the range that is not deleted there, in key order. */
export async function* liveVersions(view: ReadView, key: Uint8Array, rangeEnd: Uint8Array, rev: number): AsyncGenerator<Version> {
  const b = versionBounds(key, rangeEnd);
  if (b.end !== undefined && compareBytes(b.start, b.end) >= 0) return; // an inverted range is empty, as in etcd
  let current: Uint8Array | undefined;
  let done = false;
  for await (const { key: vk, value } of view.scan(VERSIONS, { start: b.start, ...(b.end ? { end: b.end } : {}), ...(b.prefix ? { prefix: b.prefix } : {}) })) {
    const prefix = versionKeyPrefix(vk);
    if (current === undefined || !bytesEqual(prefix, current)) {
      current = prefix.slice();
      done = false;
    }
    if (done) continue;
    const r = versionKeyRev(vk);
    if (r > rev) continue;
    done = true;
    const where = `${VERSIONS} at revision ${r}`;
    const v = decodeVersion(decodeUserKey(prefix, where).key, r, value, where);
    if (!v.tombstone) yield v;
  }
}

/** The newest version of one key at or below `rev` (tombstones included), or undefined. */
export async function versionAt(view: ReadView, key: Uint8Array, rev: number): Promise<Version | undefined> {
  const prefix = encodeUserKey(key);
  for await (const { key: vk, value } of view.scan(VERSIONS, { start: versionKey(key, rev), prefix, limit: 1 })) {
    const r = versionKeyRev(vk);
    return decodeVersion(key, r, value, `${VERSIONS} at revision ${r}`);
  }
  return undefined;
}

/** Applies etcd's range options to live versions in key order (shared by Range and Txn reads). */
export async function rangeFrom(versions: AsyncIterable<Version> | Iterable<Version>, req: RangeRequest): Promise<RangeResponse> {
  const minMod = Number(req.min_mod_revision);
  const maxMod = Number(req.max_mod_revision);
  const minCreate = Number(req.min_create_revision);
  const maxCreate = Number(req.max_create_revision);
  const limit = Number(req.limit);
  const fetchAll = req.sort_order !== 0 || minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0 || (req.sort_target !== 0 && req.sort_order === 0);
  let count = 0;
  const kept: Version[] = [];
  for await (const v of versions) {
    count++;
    if (req.count_only) continue;
    if (minMod !== 0 && v.modRevision < minMod) continue;
    if (maxMod !== 0 && v.modRevision > maxMod) continue;
    if (minCreate !== 0 && v.createRevision < minCreate) continue;
    if (maxCreate !== 0 && v.createRevision > maxCreate) continue;
    if (fetchAll || limit <= 0 || kept.length <= limit) kept.push(v);
  }
  const { list, more } = sortAndLimit(kept, req.sort_order, req.sort_target, limit);
  const kvs = list.map((v) => (req.keys_only ? { ...toKeyValue(v), value: new Uint8Array(0) } : toKeyValue(v)));
  return { kvs, more, count: String(count) };
}
