// Storage held in memory: the log as an array whose slot 0 is the entry at
// the compaction point (only its index and term matter), a hard state and a
// snapshot. For tests and the simulation; the driver of a real node uses
// RaftLogStorage. Mutators check their input and throw InvalidArgument or
// Compacted; they model what a driver persists.

import { InvalidArgument } from '@strata/engine';
import { Compacted, Unavailable } from '../errors.js';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE, EntryType, type ConfState, type Entry, type HardState, type Snapshot } from '../types.js';
import { limitSize, type InitialState, type Storage } from './storage.js';

export class MemoryStorage implements Storage {
  #hardState: HardState = EMPTY_HARD_STATE;
  #snapshot: Snapshot = { meta: { index: 0, term: 0, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) };
  /** Invariant: #ents[0] is the dummy entry at the compaction point; #ents[i].index === #ents[0].index + i. */
  #ents: Entry[] = [{ index: 0, term: 0, type: EntryType.Normal, data: new Uint8Array(0) }];

  initialState(): InitialState {
    return { hardState: this.#hardState, confState: this.#snapshot.meta.confState };
  }

  get hardState(): HardState {
    return this.#hardState;
  }

  setHardState(hs: HardState): void {
    this.#hardState = hs;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = (this.#ents[0] as Entry).index;
    if (lo <= offset) throw new Compacted(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new Unavailable(hi - 1, this.lastIndex());
    if (lo > hi) throw new InvalidArgument(`lo ${lo} is above hi ${hi}`);
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = (this.#ents[0] as Entry).index;
    if (i < offset) throw new Compacted(i, offset + 1);
    if (i - offset >= this.#ents.length) throw new Unavailable(i, this.lastIndex());
    return (this.#ents[i - offset] as Entry).term;
  }

  firstIndex(): number {
    return (this.#ents[0] as Entry).index + 1;
  }

  lastIndex(): number {
    return (this.#ents[0] as Entry).index + this.#ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Replaces everything with the snapshot (a follower installing one). A snapshot older than the one held is refused. */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index < this.#snapshot.meta.index) throw new InvalidArgument(`snapshot at ${snap.meta.index} is older than the one held at ${this.#snapshot.meta.index}`);
    this.#snapshot = snap;
    this.#ents = [{ index: snap.meta.index, term: snap.meta.term, type: EntryType.Normal, data: new Uint8Array(0) }];
  }

  /** Records a snapshot the application made at index i (which must be held); the log is not compacted. */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.#snapshot.meta.index) throw new InvalidArgument(`snapshot at ${i} is not newer than the one at ${this.#snapshot.meta.index}`);
    if (i > this.lastIndex()) throw new Unavailable(i, this.lastIndex());
    this.#snapshot = { meta: { index: i, term: this.term(i), confState }, data };
    return this.#snapshot;
  }

  /** Drops the entries before `compactIndex`, which becomes the dummy entry. */
  compact(compactIndex: number): void {
    const offset = (this.#ents[0] as Entry).index;
    if (compactIndex <= offset) throw new Compacted(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new Unavailable(compactIndex, this.lastIndex());
    const keep = this.#ents.slice(compactIndex - offset);
    const head = keep[0] as Entry;
    keep[0] = { index: head.index, term: head.term, type: EntryType.Normal, data: new Uint8Array(0) };
    this.#ents = keep;
  }

  /** Appends entries, replacing any held at or after the first; the first must be at most lastIndex + 1. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const head = entries[0] as Entry;
    // Entries already compacted away are skipped.
    let es = entries;
    if (head.index < first) es = entries.slice(first - head.index);
    if (es.length === 0) return;
    const offset = (es[0] as Entry).index - (this.#ents[0] as Entry).index;
    if (offset > this.#ents.length) throw new InvalidArgument(`append at ${(es[0] as Entry).index} leaves a gap after ${this.lastIndex()}`);
    // Truncate any conflicting suffix in place, then append (no copy of the kept prefix).
    if (offset < this.#ents.length) this.#ents.length = offset;
    for (const e of es) this.#ents.push(e);
  }
}
