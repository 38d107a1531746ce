// The storage API every Strata engine implements (memory, lsm, btree): the
// idea of Xline's StorageEngine in TypeScript. An engine holds named tables
// (column families) declared at open; each maps byte keys to byte values in
// bytewise order. Writes are batches applied atomically across tables.
//
// Contracts shared by every method:
// - Keys and values are Uint8Array (Buffer included). The engine copies what
//   it is given before the call returns, and what it returns is the caller's
//   to keep: mutating either side never changes the other.
// - Bad arguments are rejected with InvalidArgument or TableNotFound, and
//   change nothing. A missing key reads as undefined.
// - After close(), every call fails with Closed.
// - Interleaving: a write is visible to reads started after its promise
//   resolves; a read never sees part of a batch. Snapshots and scans read one
//   consistent version of every table, fixed when they are created.

/** A key/value pair returned by a scan. */
export interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** One operation of a write batch. */
export type WriteOp =
  | { readonly type: 'put'; readonly table: string; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly table: string; readonly key: Uint8Array }
  /** Deletes every key in [start, end); start > end is InvalidArgument, start == end deletes nothing. */
  | { readonly type: 'deleteRange'; readonly table: string; readonly start: Uint8Array; readonly end: Uint8Array };

export interface WriteOptions {
  /**
   * Make the batch durable against power loss before resolving (fsync).
   * Without it, a resolved write survives a process crash but may be lost if
   * the machine loses power. Default false.
   */
  readonly sync?: boolean;
}

/**
 * What a scan visits. The range is [start, end) intersected with the keys
 * that begin with `prefix`. start > end is InvalidArgument; an empty range
 * yields nothing.
 */
export interface ScanOptions {
  /** Lowest key visited, inclusive. Default: the table's first key. */
  readonly start?: Uint8Array;
  /** Key where the scan stops, exclusive. Default: past the table's last key. */
  readonly end?: Uint8Array;
  /** Visit only keys that begin with these bytes. */
  readonly prefix?: Uint8Array;
  /** Visit keys in descending order. Default false. */
  readonly reverse?: boolean;
  /** Stop after this many entries; a non-negative integer. Default: no limit. */
  readonly limit?: number;
}

/** Size limits of an engine; larger keys or values are InvalidArgument. */
export interface EngineLimits {
  readonly maxKeySize: number;
  readonly maxValueSize: number;
}

/** Reads over one consistent state. */
export interface ReadView {
  /** The value of `key` in `table`, or undefined if it has none. */
  get(table: string, key: Uint8Array): Promise<Uint8Array | undefined>;
  /** The values of `keys`, in the same order, read from one consistent state. */
  getMulti(table: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Iterates the entries of `table` in `options`' range, in key order (or
   * reverse). Bad arguments and a closed engine throw from scan() itself;
   * I/O errors surface from next(). Leaving a for-await loop early releases
   * what the scan holds.
   */
  scan(table: string, options?: ScanOptions): AsyncIterableIterator<Entry>;
}

/** A read view fixed at the moment it was taken. Release it when done: it keeps old versions alive. */
export interface Snapshot extends ReadView {
  /** Releases the snapshot; later reads fail with Closed. Calling it again does nothing. */
  release(): void;
}

export interface StorageEngine extends ReadView {
  /** The tables declared at open, in declaration order. */
  readonly tables: readonly string[];
  readonly limits: EngineLimits;
  /**
   * Applies `ops` in order as one atomic batch across tables: after a crash
   * either all of it is present or none. Later ops in a batch see earlier
   * ones (a put after a deleteRange over its key survives). An empty batch is
   * allowed; with `sync` it makes every earlier write durable.
   */
  write(ops: readonly WriteOp[], options?: WriteOptions): Promise<void>;
  /** A consistent read view of the current state. */
  snapshot(): Snapshot;
  /**
   * Waits for writes in flight, makes every acknowledged write durable (a
   * clean shutdown loses nothing to a later power failure), then releases
   * every resource. Calling it again does nothing.
   */
  close(): Promise<void>;
}
