// A searchable set of range tombstones: fragments them once, then answers
// "which tombstone seqs cover this table key" by binary search. Built per
// memtable (rebuilt lazily after inserts), per SSTable (cached with the
// table) and per scan (over every source's tombstones).

import { compareBytes } from '../keys/internal-key.js';
import { fragment, type Fragment } from './fragmenter.js';
import type { RangeTombstone } from './tombstone.js';

export class FragmentIndex {
  readonly fragments: readonly Fragment[];

  constructor(tombstones: readonly RangeTombstone[]) {
    this.fragments = fragment(tombstones);
  }

  static readonly EMPTY = new FragmentIndex([]);

  get empty(): boolean {
    return this.fragments.length === 0;
  }

  /** The fragment containing `tkey`, or undefined. */
  find(tkey: Uint8Array): Fragment | undefined {
    const fs = this.fragments;
    let lo = 0;
    let hi = fs.length;
    // First fragment whose end > tkey.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes((fs[mid] as Fragment).end, tkey) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const f = fs[lo];
    return f !== undefined && compareBytes(f.start, tkey) <= 0 ? f : undefined;
  }

  /** The largest seq <= readSeq of a tombstone covering `tkey`, or 0 if none. */
  maxCovering(tkey: Uint8Array, readSeq: number): number {
    if (this.fragments.length === 0) return 0;
    const f = this.find(tkey);
    if (f === undefined) return 0;
    for (const s of f.seqs) if (s <= readSeq) return s;
    return 0;
  }

  /** Every fragment overlapping [lo, hi) (undefined bounds are open), as flat tombstones visible at readSeq. */
  visible(lo: Uint8Array | undefined, hi: Uint8Array | undefined, readSeq: number): RangeTombstone[] {
    const out: RangeTombstone[] = [];
    for (const f of this.fragments) {
      if (lo !== undefined && compareBytes(f.end, lo) <= 0) continue;
      if (hi !== undefined && compareBytes(f.start, hi) >= 0) break;
      for (const seq of f.seqs) if (seq <= readSeq) out.push({ start: f.start, end: f.end, seq });
    }
    return out;
  }
}
