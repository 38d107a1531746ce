// Fragmenting range tombstones: overlapping [start, end) ranges are cut at
// every start and end point, so the result is a list of non-overlapping
// fragments, each carrying the sequence numbers of every tombstone that
// covers it (newest first). Fragments are what SSTables store (already
// fragmented: sorted by start, then seq descending) and what reads search.

import { compareBytes, type SeqNum } from '../keys/internal-key.js';
import type { RangeTombstone } from './tombstone.js';

export interface Fragment {
  readonly start: Uint8Array;
  /** Invariant: start < end, and end <= the next fragment's start. */
  readonly end: Uint8Array;
  /** Sequence numbers of the covering tombstones, descending, distinct, never empty. */
  readonly seqs: readonly SeqNum[];
}

/** Cuts `tombstones` (any order, may overlap) into sorted, non-overlapping fragments. */
export function fragment(tombstones: readonly RangeTombstone[]): Fragment[] {
  const live = tombstones.filter((t) => compareBytes(t.start, t.end) < 0);
  if (live.length === 0) return [];
  const sorted = [...live].sort((a, b) => compareBytes(a.start, b.start));
  const points: Uint8Array[] = [];
  for (const t of live) points.push(t.start, t.end);
  points.sort(compareBytes);
  const bounds: Uint8Array[] = [];
  for (const p of points) {
    const last = bounds[bounds.length - 1];
    if (last === undefined || compareBytes(last, p) !== 0) bounds.push(p);
  }

  const out: Fragment[] = [];
  let active: RangeTombstone[] = [];
  let next = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i] as Uint8Array;
    const hi = bounds[i + 1] as Uint8Array;
    active = active.filter((t) => compareBytes(t.end, lo) > 0);
    while (next < sorted.length && compareBytes((sorted[next] as RangeTombstone).start, lo) <= 0) {
      const t = sorted[next++] as RangeTombstone;
      if (compareBytes(t.end, lo) > 0) active.push(t);
    }
    if (active.length === 0) continue;
    const seqs = [...new Set(active.map((t) => t.seq))].sort((a, b) => b - a);
    out.push({ start: lo, end: hi, seqs });
  }
  return out;
}

/** Fragments as a flat tombstone list: by start, then seq descending (the SSTable order). */
export function flatten(fragments: readonly Fragment[]): RangeTombstone[] {
  const out: RangeTombstone[] = [];
  for (const f of fragments) for (const seq of f.seqs) out.push({ start: f.start, end: f.end, seq });
  return out;
}
