// One table of the in-memory engine: a sorted array of keys, each with its
// versions newest first. A version is (seq, value), with value undefined for
// a deletion. A read at sequence number S sees, per key, the newest version
// with seq <= S, which is how snapshots and scans get a consistent view.
//
// Invariant: `entries` is sorted by key, bytewise, without duplicates.
// Invariant: each entry's versions are sorted by seq, descending, and non-empty.
// Versions no live reader can see are pruned when their key is written and by
// sweep(); `layout` changes whenever an entry is inserted or removed, so a
// cursor knows when its array index is stale.

import { compareBytes } from '../bytes.js';

interface Version {
  readonly seq: number;
  readonly value: Uint8Array | undefined;
}

interface KeyEntry {
  readonly key: Uint8Array;
  versions: Version[];
}

/** What a cursor step found: the entry's index and its visible value. */
export interface Visible {
  readonly index: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

function visibleAt(entry: KeyEntry, seq: number): Uint8Array | undefined {
  for (const v of entry.versions) if (v.seq <= seq) return v.value;
  return undefined;
}

export class MvccTable {
  #entries: KeyEntry[] = [];
  /** Bumped whenever an entry is inserted or removed. */
  layout = 0;
  /** Versions kept only for readers older than the newest write; sweep() reclaims them. */
  garbage = 0;

  get size(): number {
    return this.#entries.length;
  }

  /** Index of the first entry with key >= `key`. */
  lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes((this.#entries[mid] as KeyEntry).key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: Uint8Array, seq: number): Uint8Array | undefined {
    const i = this.lowerBound(key);
    const entry = this.#entries[i];
    if (entry === undefined || compareBytes(entry.key, key) !== 0) return undefined;
    return visibleAt(entry, seq);
  }

  /**
   * Records `value` (undefined: a deletion) for `key` at `seq`, keeping the
   * versions that readers at or above `oldestReader` can still see.
   */
  set(key: Uint8Array, seq: number, value: Uint8Array | undefined, oldestReader: number): void {
    const i = this.lowerBound(key);
    const entry = this.#entries[i];
    if (entry === undefined || compareBytes(entry.key, key) !== 0) {
      if (value === undefined) return; // deleting a key that has no versions at all
      this.#entries.splice(i, 0, { key, versions: [{ seq, value }] });
      this.layout++;
      return;
    }
    entry.versions.unshift({ seq, value });
    this.#prune(i, entry, oldestReader);
  }

  /** Deletes, at `seq`, every key in [start, end) that is live at `seq` (earlier ops of the same batch included). */
  deleteRange(start: Uint8Array, end: Uint8Array, seq: number, oldestReader: number): void {
    let i = this.lowerBound(start);
    while (i < this.#entries.length) {
      const entry = this.#entries[i] as KeyEntry;
      if (compareBytes(entry.key, end) >= 0) break;
      if (visibleAt(entry, seq) !== undefined) {
        entry.versions.unshift({ seq, value: undefined });
        if (this.#prune(i, entry, oldestReader)) continue; // removed: index i is now the next entry
      }
      i++;
    }
  }

  /**
   * The first entry at or after index `from` (or at or before, when `step` is
   * -1) that has a value visible at `seq`, within [lower, upper).
   */
  seekVisible(
    from: number,
    step: 1 | -1,
    seq: number,
    lower: Uint8Array | undefined,
    upper: Uint8Array | undefined,
  ): Visible | undefined {
    for (let i = from; i >= 0 && i < this.#entries.length; i += step) {
      const entry = this.#entries[i] as KeyEntry;
      if (step === 1 && upper !== undefined && compareBytes(entry.key, upper) >= 0) return undefined;
      if (step === -1 && lower !== undefined && compareBytes(entry.key, lower) < 0) return undefined;
      const value = visibleAt(entry, seq);
      if (value !== undefined) return { index: i, key: entry.key, value };
    }
    return undefined;
  }

  /** The key at `index`, if any. */
  keyAt(index: number): Uint8Array | undefined {
    return this.#entries[index]?.key;
  }

  /** Every live key and value at `seq`, in order (for checkpoints). */
  *liveAt(seq: number): Generator<{ key: Uint8Array; value: Uint8Array }> {
    for (const entry of this.#entries) {
      const value = visibleAt(entry, seq);
      if (value !== undefined) yield { key: entry.key, value };
    }
  }

  /** Prunes every entry for readers at or above `oldestReader`. */
  sweep(oldestReader: number): void {
    for (let i = 0; i < this.#entries.length; ) {
      if (!this.#prune(i, this.#entries[i] as KeyEntry, oldestReader)) i++;
    }
    this.garbage = 0;
  }

  /** Drops versions no reader at or above `oldestReader` can see; removes the entry (returning true) if none is left. */
  #prune(index: number, entry: KeyEntry, oldestReader: number): boolean {
    // Keep every version newer than the oldest reader, plus the one that reader sees.
    let keep = 0;
    while (keep < entry.versions.length && (entry.versions[keep] as Version).seq > oldestReader) keep++;
    if (keep < entry.versions.length) keep++;
    if (keep < entry.versions.length) entry.versions.length = keep;
    const only = entry.versions[0] as Version;
    if (entry.versions.length === 1 && only.value === undefined && only.seq <= oldestReader) {
      this.#entries.splice(index, 1);
      this.layout++;
      return true;
    }
    // Old versions or a tombstone kept for a reader: sweep() can reclaim them later.
    if (entry.versions.length > 1 || only.value === undefined) this.garbage++;
    return false;
  }
}
