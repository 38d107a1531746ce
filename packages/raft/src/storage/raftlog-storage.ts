// Raft's Storage over one group of a shared RaftLogStore: entries and hard
// state in the store's log; snapshot, compaction point and entry types in the
// group's "raft/" keys (docs/format/raft-storage.md). Each mutator is one
// LogBatch and one write (a crash keeps all or none); they run one at a time
// in call order, and the adapter's view moves only once the write resolved.
// Reads are synchronous, for between mutators; one adapter per (store, group).

import { Corruption, InvalidArgument } from '@strata/engine';
import { Compacted as LogCompacted, LogBatch, Unavailable as LogUnavailable, type Entry as LogEntry, type RaftLogStore, type WriteOptions } from '@strata/raftlog';
import { Compacted, Unavailable } from '../errors.js';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE, EntryType, type ConfState, type Entry, type HardState, type Snapshot, type SnapshotMeta } from '../types.js';
import { EntryTypes } from './entry-types.js';
import { KEY_COMPACTED, KEY_ENTRY_TYPES, KEY_SNAPSHOT_DATA, KEY_SNAPSHOT_META, MAX_STORED_ENTRY_TYPE } from './format.js';
import type { InitialState, Storage } from './storage.js';
import { decodeCompacted, decodeEntryTypes, decodeSnapshotMeta, encodeCompacted, encodeEntryTypes, encodeSnapshotMeta, type LogPosition } from './stored-records.js';

/** What one Ready asks to persist, in this order. A Ready itself fits. */
export interface ReadyWrite {
  /** Installed first: replaces the whole log (refused if older than the snapshot held). */
  readonly snapshot?: Snapshot | undefined;
  /** Appended next, replacing any held at or after the first; the first must be at most lastIndex + 1. */
  readonly entries?: readonly Entry[] | undefined;
  readonly hardState?: HardState | undefined;
}

/** The adapter's view of its keys. Invariant: compacted.index + 1 is the store's firstIndex for the group. */
interface Meta {
  readonly compacted: LogPosition;
  /** Undefined until a snapshot is created or installed. */
  readonly snapshot: SnapshotMeta | undefined;
  /** Invariant: every index in it is in [firstIndex, lastIndex]. */
  readonly types: EntryTypes;
}

/** A write being built, and the metadata it will leave. */
interface Draft {
  readonly batch: LogBatch;
  compacted: LogPosition;
  snapshot: SnapshotMeta | undefined;
  types: EntryTypes;
  last: number;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEYS = { snapshotMeta: ascii(KEY_SNAPSHOT_META), snapshotData: ascii(KEY_SNAPSHOT_DATA), compacted: ascii(KEY_COMPACTED), entryTypes: ascii(KEY_ENTRY_TYPES) };
const EMPTY_DATA = new Uint8Array(0);

/** Where a record lives, as Corruption names it. */
function where(store: RaftLogStore, group: number, key: string): string {
  return `${store.dir} group ${group} key ${key}`;
}

/** The store's Compacted and Unavailable as Raft's; anything else unchanged. */
function fromLogError(err: unknown): unknown {
  if (err instanceof LogCompacted) return new Compacted(err.index, err.firstIndex);
  if (err instanceof LogUnavailable) return new Unavailable(err.index, err.lastIndex);
  return err;
}

export class RaftLogStorage implements Storage {
  readonly store: RaftLogStore;
  readonly group: number;
  #meta: Meta;
  /** Settles when the last mutator queued has. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(store: RaftLogStore, group: number, meta: Meta) {
    this.store = store;
    this.group = group;
    this.#meta = meta;
  }

  /** Reads back what the store holds for `group` (nothing, for a new one). Corruption if its records do not decode or do not match the log. */
  static async open(store: RaftLogStore, group: number): Promise<RaftLogStorage> {
    if (!Number.isSafeInteger(group) || group < 0) throw new InvalidArgument(`group must be a safe integer of at least 0, got ${String(group)}`);
    const read = <T>(key: string, bytes: Uint8Array, decode: (b: Uint8Array, at: string) => T): T | undefined => {
      const b = store.get(group, bytes);
      return b === undefined ? undefined : decode(b, where(store, group, key));
    };
    const compacted = read(KEY_COMPACTED, KEYS.compacted, decodeCompacted) ?? { index: 0, term: 0 };
    const snapshot = read(KEY_SNAPSHOT_META, KEYS.snapshotMeta, decodeSnapshotMeta);
    const types = read(KEY_ENTRY_TYPES, KEYS.entryTypes, decodeEntryTypes) ?? EntryTypes.EMPTY;
    const first = store.firstIndex(group);
    const last = store.lastIndex(group);
    if (compacted.index + 1 !== first) throw new Corruption(where(store, group, KEY_COMPACTED), 0, `compaction point ${compacted.index} is not just before the log's first index ${first}`);
    const lo = types.indexes[0];
    const hi = types.indexes[types.size - 1];
    if ((lo !== undefined && lo < first) || (hi !== undefined && hi > last)) throw new Corruption(where(store, group, KEY_ENTRY_TYPES), 0, `entry types recorded for [${lo}, ${hi}], outside the log [${first}, ${last}]`);
    return new RaftLogStorage(store, group, { compacted, snapshot, types });
  }

  // ------------------------------------------------------------------ reads

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.#meta.snapshot?.confState ?? EMPTY_CONF_STATE };
  }

  get hardState(): HardState {
    return this.store.hardState(this.group) ?? EMPTY_HARD_STATE;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.#meta.compacted.index;
    const last = this.lastIndex();
    if (lo <= offset) throw new Compacted(lo, offset + 1);
    if (hi > last + 1) throw new Unavailable(hi - 1, last);
    if (lo > hi) throw new InvalidArgument(`lo ${lo} is above hi ${hi}`);
    // The store takes a safe integer limit; a negative one still returns the first entry (and only it).
    if (maxBytes < 0) hi = Math.min(hi, lo + 1);
    const limit = maxBytes >= 0 && maxBytes < Number.MAX_SAFE_INTEGER ? Math.floor(maxBytes) : Number.MAX_SAFE_INTEGER;
    let stored: LogEntry[];
    try {
      stored = this.store.entries(this.group, lo, hi, limit);
    } catch (err) {
      throw fromLogError(err);
    }
    const types = this.#meta.types;
    let k = types.lowerBound(lo);
    const out: Entry[] = [];
    for (const e of stored) {
      let type = EntryType.Normal;
      if (types.indexes[k] === e.index) type = types.types[k++] as EntryType;
      out.push({ index: e.index, term: e.term, type, data: e.data });
    }
    return out;
  }

  term(i: number): number {
    const c = this.#meta.compacted;
    if (i < c.index) throw new Compacted(i, c.index + 1);
    const last = this.lastIndex();
    if (i > last) throw new Unavailable(i, last);
    if (i === c.index) return c.term;
    try {
      return this.store.term(this.group, i);
    } catch (err) {
      throw fromLogError(err);
    }
  }

  firstIndex(): number {
    return this.#meta.compacted.index + 1;
  }

  lastIndex(): number {
    return this.store.lastIndex(this.group);
  }

  /** The snapshot's metadata, without copying its data out of the store. */
  get snapshotMeta(): SnapshotMeta {
    return this.#meta.snapshot ?? { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  }

  /** The latest snapshot; its data is a fresh copy out of the store on every call. */
  snapshot(): Snapshot {
    const meta = this.#meta.snapshot;
    if (meta === undefined) return { meta: this.snapshotMeta, data: EMPTY_DATA };
    const data = this.store.get(this.group, KEYS.snapshotData);
    if (data === undefined) throw new Corruption(where(this.store, this.group, KEY_SNAPSHOT_DATA), 0, `snapshot data for the snapshot at ${meta.index} is missing`);
    return { meta, data };
  }

  // ------------------------------------------------------------------ mutators

  /** Persists one Ready's snapshot, entries and hard state as one atomic write. */
  persist(w: ReadyWrite, options?: WriteOptions): Promise<void> {
    return this.#serial(async () => {
      const d = this.#draft();
      if (w.snapshot !== undefined) this.#addSnapshot(d, w.snapshot);
      if (w.entries !== undefined) this.#addEntries(d, w.entries);
      if (w.hardState !== undefined) d.batch.setHardState(this.group, w.hardState);
      await this.#write(d, options);
    });
  }

  setHardState(hs: HardState, options?: WriteOptions): Promise<void> {
    return this.persist({ hardState: hs }, options);
  }

  /** Appends entries, replacing any held at or after the first (those already compacted away are skipped). */
  append(entries: readonly Entry[], options?: WriteOptions): Promise<void> {
    return this.persist({ entries }, options);
  }

  /** Replaces everything with the snapshot (a follower installing one). A snapshot older than the one held is refused. */
  applySnapshot(snap: Snapshot, options?: WriteOptions): Promise<void> {
    return this.persist({ snapshot: snap }, options);
  }

  /** Records a snapshot the application made at index i (which must be held); the log is not compacted. */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array, options?: WriteOptions): Promise<Snapshot> {
    return this.#serial(async () => {
      const held = this.#meta.snapshot?.index ?? 0;
      if (i <= held) throw new InvalidArgument(`snapshot at ${i} is not newer than the one at ${held}`);
      if (i > this.lastIndex()) throw new Unavailable(i, this.lastIndex());
      if (!(data instanceof Uint8Array)) throw new InvalidArgument('snapshot data must be a Uint8Array');
      const snap: Snapshot = { meta: { index: i, term: this.term(i), confState }, data };
      const d = this.#draft();
      d.snapshot = snap.meta;
      d.batch.put(this.group, KEYS.snapshotData, data);
      await this.#write(d, options);
      return snap;
    });
  }

  /** Drops the entries up to `compactIndex`, which becomes the compaction point (its term stays readable). */
  compact(compactIndex: number, options?: WriteOptions): Promise<void> {
    return this.#serial(async () => {
      const offset = this.#meta.compacted.index;
      if (compactIndex <= offset) throw new Compacted(compactIndex, offset + 1);
      if (compactIndex > this.lastIndex()) throw new Unavailable(compactIndex, this.lastIndex());
      const d = this.#draft();
      d.compacted = { index: compactIndex, term: this.term(compactIndex) };
      d.types = d.types.compactedTo(compactIndex + 1);
      d.batch.compactTo(this.group, compactIndex + 1);
      await this.#write(d, options);
    });
  }

  // ------------------------------------------------------------------ write path

  /** Runs `op` once every mutator queued before it has settled. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(op);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #draft(): Draft {
    const m = this.#meta;
    return { batch: new LogBatch(), compacted: m.compacted, snapshot: m.snapshot, types: m.types, last: this.lastIndex() };
  }

  #addSnapshot(d: Draft, snap: Snapshot): void {
    const meta = snap.meta;
    const held = d.snapshot?.index ?? 0;
    if (meta.index < held) throw new InvalidArgument(`snapshot at ${meta.index} is older than the one held at ${held}`);
    if (!(snap.data instanceof Uint8Array)) throw new InvalidArgument('snapshot data must be a Uint8Array');
    // The log store's indexes start at 1: a snapshot at index 0 leaves the next entry at 1.
    d.batch.reset(this.group, meta.index + 1).put(this.group, KEYS.snapshotData, snap.data);
    d.snapshot = meta;
    d.compacted = { index: meta.index, term: meta.term };
    d.types = EntryTypes.EMPTY;
    d.last = meta.index;
  }

  #addEntries(d: Draft, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = d.compacted.index + 1;
    const head = entries[0] as Entry;
    // Entries already compacted away are skipped.
    const es = head.index < first ? entries.slice(first - head.index) : entries;
    const start = es[0];
    if (start === undefined) return;
    if (start.index > d.last + 1) throw new InvalidArgument(`append at ${start.index} leaves a gap after ${d.last}`);
    for (const e of es) {
      const t: number = e.type;
      if (!Number.isInteger(t) || t < 0 || t > MAX_STORED_ENTRY_TYPE) throw new InvalidArgument(`entry ${e.index} has unknown type ${String(t)}`);
    }
    // The store's Append replaces every entry at or after its first: no Truncate item is needed.
    d.batch.append(this.group, es);
    d.types = d.types.afterAppend(es);
    d.last = (es[es.length - 1] as Entry).index;
  }

  /** Adds the records whose value changed, writes the batch, and then (only then) moves the metadata on. */
  async #write(d: Draft, options: WriteOptions | undefined): Promise<void> {
    const m = this.#meta;
    const g = this.group;
    if (d.snapshot !== m.snapshot && d.snapshot !== undefined) d.batch.put(g, KEYS.snapshotMeta, encodeSnapshotMeta(d.snapshot));
    if (d.compacted !== m.compacted) d.batch.put(g, KEYS.compacted, encodeCompacted(d.compacted));
    if (d.types !== m.types) {
      if (d.types.size === 0) d.batch.delete(g, KEYS.entryTypes);
      else d.batch.put(g, KEYS.entryTypes, encodeEntryTypes(d.types));
    }
    await this.store.write(d.batch, options);
    this.#meta = { compacted: d.compacted, snapshot: d.snapshot, types: d.types };
  }
}
