// etcd's Range ordering and limit: with a sort order (or a non-key sort
// target, which sorts ascending), every match is sorted, then cut to
// `limit`; `more` says matches were left out.

import { compareBytes } from '@strata/engine';
import { SORT_ASCEND, SORT_DESCEND, SORT_NONE, TARGET_CREATE, TARGET_KEY, TARGET_MOD, TARGET_VALUE, TARGET_VERSION } from '../kv/kv-types.js';
import type { Version } from './version-record.js';

function comparator(target: number): (a: Version, b: Version) => number {
  switch (target) {
    case TARGET_VERSION:
      return (a, b) => a.version - b.version;
    case TARGET_CREATE:
      return (a, b) => a.createRevision - b.createRevision;
    case TARGET_MOD:
      return (a, b) => a.modRevision - b.modRevision;
    case TARGET_VALUE:
      return (a, b) => compareBytes(a.value, b.value);
    case TARGET_KEY:
    default:
      return (a, b) => compareBytes(a.key, b.key);
  }
}

export function sortAndLimit(kept: Version[], sortOrder: number, sortTarget: number, limit: number): { list: Version[]; more: boolean } {
  let order = sortOrder;
  if (sortTarget !== TARGET_KEY && order === SORT_NONE) order = SORT_ASCEND;
  let list = kept;
  if (order !== SORT_NONE) {
    const cmp = comparator(sortTarget);
    list = [...kept].sort(order === SORT_DESCEND ? (a, b) => cmp(b, a) : cmp);
  }
  if (limit > 0 && list.length > limit) return { list: list.slice(0, limit), more: true };
  return { list, more: false };
}
