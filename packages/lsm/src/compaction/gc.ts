// Garbage collection rules shared by flush and compaction, in the RocksDB /
// Pebble way. Live snapshots cut sequence numbers into stripes: stripe(s) is
// the index of the first snapshot >= s. A reader at any snapshot sees, per
// key, the newest version in or below its stripe, so within one stripe only
// the newest version matters:
//   - a version older than another in the same stripe is dropped;
//   - a version covered by a range tombstone of the same stripe is dropped;
//   - in a bottommost compaction (no older data below), deletions and range
//     tombstones no snapshot predates (stripe 0) are dropped: everything
//     they could hide is in the same stripe and dropped with them.
// The rules never change what any live snapshot or the current state reads.

import { Kind, type SeqNum } from '../keys/internal-key.js';
import type { Fragment } from '../range-del/fragmenter.js';

export class Stripes {
  /** Live snapshot sequence numbers, ascending. */
  readonly #snapshots: readonly number[];

  constructor(snapshots: readonly number[]) {
    this.#snapshots = [...new Set(snapshots)].sort((a, b) => a - b);
  }

  /** Index of the first snapshot >= seq (snapshots.length if none). */
  stripe(seq: number): number {
    const s = this.#snapshots;
    if (s.length === 0) return 0;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as number) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Decides, entry by entry, which versions of a merged stream to keep. Feed
 * it every entry in internal-key order; begin() at each new table key with
 * the seqs of the range tombstones covering it (descending).
 */
export class VersionFilter {
  readonly #stripes: Stripes;
  readonly #bottommost: boolean;
  #lastStripe = -1;
  #covering: readonly SeqNum[] = [];

  constructor(stripes: Stripes, bottommost: boolean) {
    this.#stripes = stripes;
    this.#bottommost = bottommost;
  }

  begin(covering: readonly SeqNum[]): void {
    this.#lastStripe = -1;
    this.#covering = covering;
  }

  /** True if the version (seq, kind) of the current key is kept. */
  keep(seq: number, kind: Kind): boolean {
    const s = this.#stripes.stripe(seq);
    if (s === this.#lastStripe) return false;
    this.#lastStripe = s;
    if (this.#covering.length > 0) {
      // The oldest tombstone newer than this version is the one that could share its stripe.
      let t = 0;
      for (const c of this.#covering) {
        if (c > seq) t = c;
        else break;
      }
      if (t !== 0 && this.#stripes.stripe(t) === s) return false;
    }
    if (this.#bottommost && kind === Kind.Delete && s === 0) return false;
    return true;
  }
}

/** The fragments to write out: per fragment, the newest seq of each stripe; bottommost drops those no snapshot predates. */
export function keepFragments(fragments: readonly Fragment[], stripes: Stripes, bottommost: boolean): Fragment[] {
  const out: Fragment[] = [];
  for (const f of fragments) {
    const seqs: SeqNum[] = [];
    let lastStripe = -1;
    for (const seq of f.seqs) {
      const s = stripes.stripe(seq);
      if (s === lastStripe) continue;
      lastStripe = s;
      if (bottommost && s === 0) continue;
      seqs.push(seq);
    }
    if (seqs.length > 0) out.push({ start: f.start, end: f.end, seqs });
  }
  return out;
}
