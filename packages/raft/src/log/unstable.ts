// The tail of the log not yet known to be durable: entries the node appended
// (or received) since the driver last persisted, and a snapshot being
// installed. ready() hands them to the driver; advance() marks them stable
// (etcd raft's log_unstable.go, with synchronous Ready handling).
//
// Invariant: entries[i].index === offset + i; with a snapshot,
// offset === snapshot.meta.index + 1.

import type { Entry, Snapshot } from '../types.js';

export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** The first index if a snapshot is pending (everything before it is replaced). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.meta.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.meta.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) return this.snapshot !== undefined && this.snapshot.meta.index === i ? this.snapshot.meta.term : undefined;
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return (this.entries[i - this.offset] as Entry).term;
  }

  /** Entries up to i (of term t) are durable. A stale report (the entry was replaced since) is ignored. */
  stableTo(i: number, t: number): void {
    const term = this.maybeTerm(i);
    if (term === undefined || term !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.meta.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.meta.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** Appends entries, replacing any at or after the first one's index. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = (ents[0] as Entry).index;
    if (after === this.offset + this.entries.length) for (const e of ents) this.entries.push(e);
    else if (after <= this.offset) {
      // Replaces all unstable entries (and, through offset, the stable ones from `after` on).
      this.offset = after;
      this.entries = [...ents];
    } else this.entries = this.entries.slice(0, after - this.offset).concat(ents);
  }

  /** Entries [lo, hi), which must lie within the unstable range. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
