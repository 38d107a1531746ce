// The in-memory StorageEngine: MVCC tables in sorted arrays. It is the
// reference engine for tests and the model other engines are checked
// against. Given `storage`, it is also durable: every batch is framed into
// a log on the vfs seam before it is applied (durable-log.ts), concurrent
// writes are group-committed (one append and at most one datasync per group),
// and the log is replayed on open. A failed append or sync puts the engine
// into a fail-stop state: every later write is refused with that error until
// it is reopened, because the log's tail is then unknown.
//
// Interleaving: reads and snapshot creation are synchronous against the
// current state. In durable mode, batches are applied to memory in log order
// by a single leader, only after their append (and sync, if any asked) is
// done, so a read never sees a write that is not yet as durable as promised.

import type { FileSystem } from '@strata/vfs';
import { loadChecksum } from '../checksum.js';
import { Closed, InvalidArgument, IoError } from '../errors.js';
import { MAX_PAYLOAD } from '../record-log/format.js';
import type { EngineLimits, Entry, ScanOptions, Snapshot, StorageEngine, WriteOp, WriteOptions } from '../storage-engine.js';
import {
  checkKey,
  checkKeys,
  checkTable,
  checkTableNames,
  checkWriteBatch,
  checkWriteOptions,
  copyWriteOp,
  resolveScanRange,
} from '../validate.js';
import { DurableLog, type Recovered } from './durable-log.js';
import { encodeBatch, encodeCheckpointEnd, encodeTableChunk } from './log-records.js';
import { MemoryScanIterator } from './scan-iterator.js';
import { MvccTable } from './mvcc-table.js';

export const DEFAULT_MEMORY_LIMITS: EngineLimits = Object.freeze({
  maxKeySize: 64 * 1024,
  maxValueSize: 64 * 1024 * 1024,
});

export interface MemoryStorageOptions {
  readonly fs: FileSystem;
  /** The engine's directory; created if missing. Holds LOCK and mem-NNNNNN.log. */
  readonly dir: string;
  /** Rewrite the log once it exceeds this many bytes and four times its last checkpoint. Default 4 MiB. */
  readonly checkpointMinBytes?: number;
}

export interface MemoryEngineOptions {
  readonly tables: readonly string[];
  readonly limits?: Partial<EngineLimits>;
  /** Make the engine durable in this directory. Without it, everything is lost on close. */
  readonly storage?: MemoryStorageOptions;
}

interface PendingWrite {
  readonly ops: readonly WriteOp[];
  readonly payload: Uint8Array | undefined;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const CHECKPOINT_CHUNK_BYTES = 1 << 20;

function checkLimits(limits: Partial<EngineLimits> | undefined): EngineLimits {
  const out = { ...DEFAULT_MEMORY_LIMITS, ...limits };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgument(`limit ${name} must be a positive integer`);
  }
  return Object.freeze(out);
}

export class MemoryEngine implements StorageEngine {
  readonly tables: readonly string[];
  readonly limits: EngineLimits;
  readonly #tables: Map<string, MvccTable>;
  readonly #log: DurableLog | undefined;
  /** Sequence number of the last applied batch. Invariant: every applied batch has seq <= #seq. */
  #seq = 0;
  /** Live readers (snapshots and scans) by the sequence number they read at, with counts. */
  readonly #readers = new Map<number, number>();
  #closed = false;
  /** The error that put the engine into fail-stop, if any. */
  #failed: unknown = undefined;
  #queue: PendingWrite[] = [];
  /** True while a group-commit leader is draining the queue. */
  #leading = false;
  /** The current (or last) leader's run. */
  #leader: Promise<void> = Promise.resolve();

  private constructor(tables: readonly string[], limits: EngineLimits, log: DurableLog | undefined) {
    this.tables = Object.freeze([...tables]);
    this.limits = limits;
    this.#tables = new Map(tables.map((t) => [t, new MvccTable()]));
    this.#log = log;
  }

  static async open(options: MemoryEngineOptions): Promise<MemoryEngine> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgument('MemoryEngine.open needs an options object');
    const tables = checkTableNames(options.tables);
    const limits = checkLimits(options.limits);
    const storage = options.storage;
    if (storage === undefined) return new MemoryEngine(tables, limits, undefined);

    const checkpointMinBytes = storage.checkpointMinBytes ?? 4 * 1024 * 1024;
    if (!Number.isSafeInteger(checkpointMinBytes) || checkpointMinBytes < 0) {
      throw new InvalidArgument('checkpointMinBytes must be a non-negative integer');
    }
    if (typeof storage.dir !== 'string' || storage.dir === '') throw new InvalidArgument('storage.dir must be a path');
    const checksum = await loadChecksum();
    const { log, recovered } = await DurableLog.open(storage.fs, storage.dir, checksum, { checkpointMinBytes }, tables);
    const engine = new MemoryEngine(tables, limits, log);
    try {
      engine.#replay(recovered, log.path);
    } catch (err) {
      log.close();
      throw err;
    }
    return engine;
  }

  async get(table: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    return this.#table(table).get(checkKey(key, this.limits), this.#seq)?.slice();
  }

  async getMulti(table: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.#checkOpen();
    const t = this.#table(table);
    return checkKeys(keys, this.limits).map((k) => t.get(k, this.#seq)?.slice());
  }

  scan(table: string, options?: ScanOptions): AsyncIterableIterator<Entry> {
    this.#checkOpen();
    return this.#scanAt(table, options, this.#seq);
  }

  async write(ops: readonly WriteOp[], options?: WriteOptions): Promise<void> {
    this.#checkOpen();
    const { sync } = checkWriteOptions(options);
    const batch = checkWriteBatch(ops, this.#tables, this.limits).map(copyWriteOp);
    if (this.#failed !== undefined) throw this.#failStopError();
    if (this.#log === undefined) {
      if (batch.length > 0) this.#apply(batch);
      return;
    }
    const payload = batch.length > 0 ? encodeBatch(batch) : undefined;
    if (payload !== undefined && payload.length > MAX_PAYLOAD) {
      throw new InvalidArgument(`batch encodes to ${payload.length} bytes; the limit is ${MAX_PAYLOAD}`);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops: batch, payload, sync, resolve, reject });
      // The leader may finish synchronously (no sync asked): #leading, not the promise, says whether one runs.
      if (!this.#leading) this.#leader = this.#lead();
    });
  }

  snapshot(): Snapshot {
    this.#checkOpen();
    const seq = this.#seq;
    const release = this.#acquire(seq);
    let released = false;
    const check = (): void => {
      if (released) throw new Closed('snapshot was released');
      this.#checkOpen();
    };
    return {
      get: async (table, key) => {
        check();
        return this.#table(table).get(checkKey(key, this.limits), seq)?.slice();
      },
      getMulti: async (table, keys) => {
        check();
        const t = this.#table(table);
        return checkKeys(keys, this.limits).map((k) => t.get(k, seq)?.slice());
      },
      scan: (table, options) => {
        check();
        return this.#scanAt(table, options, seq);
      },
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Writes accepted before close still complete (or fail) in order.
    while (this.#leading) await this.#leader;
    const log = this.#log;
    if (log === undefined) return;
    try {
      // A clean shutdown makes unsynced writes durable. In fail-stop the log's
      // tail is unknown, so there is nothing safe to sync.
      if (this.#failed === undefined) await log.datasync();
    } finally {
      log.close();
    }
  }

  /** The group-commit leader: drains the queue one group at a time. */
  async #lead(): Promise<void> {
    const log = this.#log as DurableLog;
    this.#leading = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        if (this.#failed !== undefined) {
          for (const w of group) w.reject(this.#failStopError());
          continue;
        }
        try {
          log.append(group.flatMap((w) => (w.payload === undefined ? [] : [w.payload])));
          if (group.some((w) => w.sync)) await log.datasync();
        } catch (err) {
          this.#failed = err;
          for (const w of group) w.reject(this.#failStopError());
          continue;
        }
        for (const w of group) {
          if (w.ops.length > 0) this.#apply(w.ops);
          w.resolve();
        }
        if (log.shouldCheckpoint()) {
          try {
            await log.checkpoint(this.#checkpointRecords());
          } catch (err) {
            this.#failed = err;
          }
        }
      }
    } finally {
      this.#leading = false;
    }
  }

  #failStopError(): IoError {
    const cause = this.#failed;
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new IoError(`engine is in fail-stop after a storage failure; reopen it to recover: ${detail}`, cause);
  }

  /** Applies a validated, copied batch as the next sequence number. */
  #apply(ops: readonly WriteOp[]): void {
    const seq = ++this.#seq;
    const oldest = this.#oldestReader(seq);
    for (const op of ops) {
      const t = this.#tables.get(op.table) as MvccTable;
      switch (op.type) {
        case 'put':
          t.set(op.key, seq, op.value, oldest);
          break;
        case 'delete':
          t.set(op.key, seq, undefined, oldest);
          break;
        case 'deleteRange':
          t.deleteRange(op.start, op.end, seq, oldest);
          break;
      }
    }
  }

  #replay(recovered: Recovered, path: string): void {
    const undeclared = (table: string): InvalidArgument =>
      new InvalidArgument(`table ${JSON.stringify(table)} has data in ${path} but was not declared at open`);
    for (const record of recovered.checkpoint) {
      if (record.kind !== 'tableChunk') continue;
      const t = this.#tables.get(record.table);
      if (t === undefined) {
        if (record.entries.length > 0) throw undeclared(record.table);
        continue;
      }
      for (const e of record.entries) t.set(e.key.slice(), 0, e.value.slice(), 0);
    }
    for (const record of recovered.batches) {
      if (record.kind !== 'batch') continue;
      for (const op of record.ops) if (!this.#tables.has(op.table)) throw undeclared(op.table);
      this.#apply(record.ops.map(copyWriteOp));
    }
  }

  /** The records of a checkpoint of the current state. */
  *#checkpointRecords(): Generator<Uint8Array> {
    const seq = this.#seq;
    for (const [name, table] of this.#tables) {
      let chunk: { key: Uint8Array; value: Uint8Array }[] = [];
      let bytes = 0;
      for (const e of table.liveAt(seq)) {
        chunk.push(e);
        bytes += e.key.length + e.value.length + 8;
        if (bytes >= CHECKPOINT_CHUNK_BYTES) {
          yield encodeTableChunk(name, chunk);
          chunk = [];
          bytes = 0;
        }
      }
      if (chunk.length > 0) yield encodeTableChunk(name, chunk);
    }
    yield encodeCheckpointEnd(seq, this.tables);
  }

  #scanAt(table: string, options: ScanOptions | undefined, seq: number): AsyncIterableIterator<Entry> {
    const t = this.#table(table);
    const range = resolveScanRange(options, this.limits);
    const release = this.#acquire(seq);
    return new MemoryScanIterator(t, range, seq, { isClosed: () => this.#closed, release });
  }

  #table(table: string): MvccTable {
    return this.#tables.get(checkTable(table, this.#tables)) as MvccTable;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Closed();
  }

  /** Registers a reader at `seq`; returns its release function (idempotent). */
  #acquire(seq: number): () => void {
    this.#readers.set(seq, (this.#readers.get(seq) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.#readers.get(seq) ?? 1) - 1;
      if (n > 0) this.#readers.set(seq, n);
      else this.#readers.delete(seq);
      this.#maybeSweep();
    };
  }

  #oldestReader(current: number): number {
    let oldest = current;
    for (const seq of this.#readers.keys()) if (seq < oldest) oldest = seq;
    return oldest;
  }

  /** Reclaims versions kept for readers that are gone, once there are enough of them. */
  #maybeSweep(): void {
    const oldest = this.#oldestReader(this.#seq);
    for (const t of this.#tables.values()) {
      if (t.garbage > 1024 && t.garbage > t.size / 4) t.sweep(oldest);
    }
  }
}
