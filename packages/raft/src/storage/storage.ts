// What the Raft core reads of its durable state (etcd raft's Storage). The
// driver writes to it (entries and hard state from each Ready, snapshots it
// installs); the core only reads, and only between its own calls, so an
// implementation needs no locking against it.
//
// The log held is [firstIndex, lastIndex]. The entry just before firstIndex
// is the snapshot's (or a compaction point's): term(firstIndex − 1) answers
// for it, entries() never returns it.

import type { ConfState, Entry, HardState, Snapshot } from '../types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /**
   * Entries [lo, hi), stopping before the one that would take their data
   * past maxBytes (the first is returned whatever its size), in a fresh
   * array the caller may keep and modify. Compacted if lo is at most the
   * compaction point, Unavailable if hi − 1 is past lastIndex.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** The term of entry i, for firstIndex − 1 ≤ i ≤ lastIndex; Compacted below, Unavailable above. */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot; SnapshotTemporarilyUnavailable if it is being built. */
  snapshot(): Snapshot;
}

/** Sum of entry data bytes, as maxBytes limits count them. */
export function entryBytes(e: Entry): number {
  return e.data.length;
}

/** Cuts `es` (an array the caller owns) in place to its longest prefix whose bytes stay within maxBytes (at least one entry if there is one), and returns it. */
export function limitSize(es: Entry[], maxBytes: number): Entry[] {
  if (es.length === 0) return es;
  let bytes = entryBytes(es[0] as Entry);
  let n = 1;
  for (; n < es.length; n++) {
    bytes += entryBytes(es[n] as Entry);
    if (bytes > maxBytes) break;
  }
  if (n < es.length) es.length = n;
  return es;
}
