// Which entries of a log are not Normal, and their types: RaftLogStorage's
// side table, since the Raft log store keeps only index, term and data. It is
// immutable: every change returns a new table (or the same one if nothing
// changed), so the adapter can build the next table for a write and swap it
// in only once the write that records it is durable.
// Invariant: indexes strictly ascend; types[k] is never EntryType.Normal.

import { EntryType, type Entry } from '../types.js';

export class EntryTypes {
  static readonly EMPTY = new EntryTypes([], []);

  readonly indexes: readonly number[];
  readonly types: readonly EntryType[];

  constructor(indexes: readonly number[], types: readonly EntryType[]) {
    this.indexes = indexes;
    this.types = types;
  }

  get size(): number {
    return this.indexes.length;
  }

  /** The position of the first recorded index at or above i. */
  lowerBound(i: number): number {
    let lo = 0;
    let hi = this.indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.indexes[mid] as number) < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The table after appending `es` (consecutive, non-empty), which replace every entry at or after the first. */
  afterAppend(es: readonly Entry[]): EntryTypes {
    const cut = this.lowerBound((es[0] as Entry).index);
    let added: number[] | undefined;
    let addedTypes: EntryType[] | undefined;
    for (const e of es) {
      if (e.type === EntryType.Normal) continue;
      (added ??= []).push(e.index);
      (addedTypes ??= []).push(e.type);
    }
    if (cut === this.indexes.length && added === undefined) return this;
    return new EntryTypes([...this.indexes.slice(0, cut), ...(added ?? [])], [...this.types.slice(0, cut), ...(addedTypes ?? [])]);
  }

  /** The table once the entries below `first` are gone. */
  compactedTo(first: number): EntryTypes {
    const cut = this.lowerBound(first);
    return cut === 0 ? this : new EntryTypes(this.indexes.slice(cut), this.types.slice(cut));
  }
}
