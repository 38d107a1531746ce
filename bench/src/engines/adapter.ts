// One interface over the engines the engine benchmark compares, each driven
// through its fastest public API (measured: synchronous reads where the
// engine offers them, since a read from the page cache costs a few µs
// synchronously and tens of µs through the libuv thread pool).

export interface KV {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface EngineAdapter {
  readonly name: string;
  /** Opens a fresh database in `dir`; `durable`: the workload will ask for synced writes. */
  open(dir: string, durable: boolean): Promise<void>;
  /** Writes `batch` atomically. */
  writeBatch(batch: readonly KV[]): Promise<void>;
  /** Writes one key; with `sync` it is durable when the promise resolves. */
  put(key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void>;
  /** Reads one key (synchronous where the engine allows it). */
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Visits every entry in key order; returns how many. */
  scanAll(): number | Promise<number>;
  /** Positions at the first key >= `key` and reads that entry; true if there is one. */
  seek(key: Uint8Array): boolean | Promise<boolean>;
  /** Waits until background work (flush, compaction) is done. */
  settle(): Promise<void>;
  /** Compacts the whole key space by hand (LSMs: into one sorted run), as db_bench's `compact` step. */
  compact(): Promise<void>;
  /** Engine-specific figures (write amplification and the like). */
  stats(): Record<string, number>;
  close(): Promise<void>;
}
