// A node's view of its log: what Storage holds (durable), the unstable tail,
// and how far it is committed and applied (etcd raft's log.go).
//
// Invariants: applied <= committed <= lastIndex(); firstIndex() − 1 is the
// snapshot or compaction point, whose term is still known. A committed entry
// is never overwritten (doing so is a fatal bug: RaftLog throws).

import { Compacted, Unavailable } from '../errors.js';
import { limitSize, type Storage } from '../storage/storage.js';
import type { Entry, Snapshot } from '../types.js';
import { Unstable } from './unstable.js';

/** A broken Raft invariant: the node must stop (etcd raft panics). */
export class RaftInvariantError extends Error {
  override get name(): string {
    return 'RaftInvariantError';
  }
}

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(storage: Storage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term of entry i; Compacted below firstIndex() − 1, Unavailable past lastIndex(). */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new Compacted(i, dummy + 1);
    if (i > this.lastIndex()) throw new Unavailable(i, this.lastIndex());
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** The term of entry i, or 0 if it is outside the log. */
  termOrZero(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return 0;
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return false;
    return this.termOrZero(i) === t;
  }

  /** True if a log ending at (lasti, term) is at least as up to date as this one (§5.4.1). */
  isUpToDate(lasti: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lasti >= this.lastIndex());
  }

  /**
   * A follower's append: if the entry at `index` has term `logTerm`, appends
   * `ents` after it (replacing a conflicting suffix), commits up to
   * min(committed, last new index) and returns the last new index;
   * otherwise returns undefined.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new RaftInvariantError(`entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      this.append(ci === index + 1 ? ents : ents.slice(ci - index - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    if (after < this.committed) throw new RaftInvariantError(`append after ${after} is below committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The index of the first entry of `ents` that is missing or has another term here, or 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, and
   * that term: where a leader's probe can continue after a rejection.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    const dummy = this.firstIndex() - 1;
    for (let i = Math.min(index, this.lastIndex()); i > dummy; i--) {
      const t = this.termOrZero(i);
      if (t <= term) return { index: i, term: t };
    }
    return { index: dummy, term: this.termOrZero(dummy) };
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    if (toCommit > this.lastIndex()) throw new RaftInvariantError(`commit ${toCommit} is past the last index ${this.lastIndex()}`);
    this.committed = toCommit;
  }

  /** Commits maxIndex if its entry is of `term` (a leader commits only entries of its own term, §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) throw new RaftInvariantError(`applied ${i} is outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Entries not yet handed to the driver to persist. */
  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Committed entries not yet applied, up to maxBytes (at least one). */
  nextCommittedEntries(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= lo) return [];
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** Entries from i on, up to maxBytes. */
  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Entries [lo, hi) from storage and the unstable tail; Compacted if lo is below firstIndex(). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo === hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new Compacted(lo, first);
    if (hi > this.lastIndex() + 1) throw new Unavailable(hi - 1, this.lastIndex());
    // Storage's and the unstable tail's slices are fresh arrays: cut in place, copied no further.
    const uOffset = this.unstable.offset;
    if (lo >= uOffset) return limitSize(this.unstable.slice(lo, hi), maxBytes);
    const stored = this.storage.entries(lo, Math.min(hi, uOffset), maxBytes);
    // Storage stopped early (size limit): do not add unstable entries after a gap.
    if (stored.length < Math.min(hi, uOffset) - lo) return stored;
    return limitSize(hi > uOffset ? stored.concat(this.unstable.slice(uOffset, hi)) : stored, maxBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the log with a snapshot (a follower installing one). */
  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.unstable.restore(s);
  }
}
