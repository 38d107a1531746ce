// A decoded B+Tree node as readers see it: immutable, shared through the page
// cache by every version that reaches its page. Keys and inline values are
// views of the page's buffer, which is never written again. Branch keys follow
// bbolt: entry i holds the smallest key of child i's subtree when the branch
// was written, so child i covers [keys[i], keys[i+1]) and child 0 also covers
// everything below keys[1]. Every leaf sits at the same depth.

import { compareBytes } from '@strata/engine';

/** A value stored outside its leaf, in a run of `span` pages starting at `pgid`. */
export class Overflow {
  constructor(
    readonly pgid: number,
    readonly span: number,
    /** The txid that wrote the run (checked when it is read). */
    readonly txid: number,
    /** The value's length in bytes. */
    readonly length: number,
  ) {}
}

export type Val = Uint8Array | Overflow;

export class Node {
  constructor(
    readonly pgid: number,
    /** The txid that wrote this page. */
    readonly txid: number,
    readonly leaf: boolean,
    readonly keys: readonly Uint8Array[],
    /** Leaf values, one per key; empty for a branch. */
    readonly vals: readonly Val[],
    /** Branch children's page ids, one per key; empty for a leaf. */
    readonly kids: readonly number[],
    /** Branch children's txids (what each child page's header must say). */
    readonly gens: readonly number[],
  ) {}
}

/** Index of the child of a branch with `keys` that covers `key`: the last i with keys[i] <= key, or 0. */
export function childIndex(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 1;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid] as Uint8Array, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The first index whose key is >= `key`, or keys.length. */
export function lowerBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid] as Uint8Array, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
