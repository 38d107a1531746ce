// LsmEngine: the LSM-tree StorageEngine. This file wires the parts together
// and owns the concurrency; each part lives in its own folder (wal/,
// memtable/, sstable/, version/, compaction/, iterator/).
//
// Write path: write() validates and encodes the batch at once, then queues
// it. One group-commit leader at a time drains the queue: it makes room
// (slowing or stopping writes when L0 is deep, switching to a new memtable
// and WAL when the current one is full), stamps sequence numbers, appends
// the whole group to the WAL in one call, fdatasyncs once if any batch asked
// for sync, applies the group to the memtable and only then resolves it.
// A resolved write is in the OS (survives kill -9); a synced one is on disk.
// A failed WAL append or sync, or a failed flush, compaction or manifest
// write, puts the engine in fail-stop: later writes are refused with that
// error until it is reopened.
//
// Background: a flush loop writes immutable memtables to L0, and a
// compaction loop runs one picked compaction at a time; both run in time
// slices on the event loop. Every version change goes through the manifest.
//
// Reads are synchronous against the memtables and the current version; a
// scan pins its version and registers its sequence number like a snapshot.

import {
  checkKey,
  checkKeys,
  checkTable,
  checkTableNames,
  checkWriteBatch,
  checkWriteOptions,
  Closed,
  Corruption,
  EngineError,
  InvalidArgument,
  io,
  ioAsync,
  IoError,
  loadChecksum,
  resolveScanRange,
  type Checksum,
  type EngineLimits,
  type Entry,
  type ScanOptions,
  type Snapshot,
  type StorageEngine,
  type WriteOp,
  type WriteOptions,
} from '@strata/engine';
import { NodeFileSystem, type File, type FileLock, type FileSystem } from '@strata/vfs';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { runCompaction, runFlush, type CompactionSpec, type JobDeps, type JobResult } from '../compaction/compaction-job.js';
import { CompactionThread, OutOfFileNumbers } from '../compaction/worker/compaction-thread.js';
import { isBottommost, leveledScores, pickLeveled } from '../compaction/leveled-picker.js';
import { pickTiered, sortedRuns, tieredScore } from '../compaction/tiered-picker.js';
import { Yielder } from '../compaction/yielder.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { LevelIterator } from '../iterator/level-iterator.js';
import { MergingIterator } from '../iterator/merging-iterator.js';
import { LookupKey } from '../keys/lookup-key.js';
import { PointHit } from '../sstable/table-reader.js';
import { Kind, MAX_TABLE_ID, TABLE_ID_SIZE, tableKey, tablePrefix } from '../keys/internal-key.js';
import { Memtable } from '../memtable/memtable.js';
import { FragmentIndex } from '../range-del/fragment-index.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { BlockCache } from '../sstable/block-cache.js';
import type { TableBuilderOptions } from '../sstable/table-builder.js';
import { newReadCounters, type ReadCounters } from '../stats/read-stats.js';
import { TableCache, type TableHandle } from '../table-cache/table-cache.js';
import { inRange, unionRange, type FileMeta, type KeyRange } from '../version/file-meta.js';
import { LOCK, parseName, walName, type FileNum } from '../version/filenames.js';
import { VersionSet } from '../version/version-set.js';
import { OpType, sealBatch, type EncodedBatch } from '../wal/batch.js';
import { WriteQueue, type Group, type Pending } from './write-queue.js';
import { applyBatch, applyOp } from './apply-batch.js';
import { readWal } from '../wal/wal-reader.js';
import { DbIterator } from './db-iterator.js';
import { LoopWatch } from './loop-watch.js';
import { resolveOptions, type LsmOptions, type ResolvedOptions } from './options.js';
import { deriveStats, formatStats, newWriteCounters, type LevelStats, type LsmStats, type WriteCounters } from './stats.js';

/** Thrown inside background jobs when the engine is closing; never escapes. */
class Aborted extends Error {}

function asEngineError(err: unknown, what: string): EngineError {
  if (err instanceof EngineError) return err;
  return new IoError(`${what}: ${err instanceof Error ? err.message : String(err)}`, err);
}

export class LsmEngine implements StorageEngine {
  readonly tables: readonly string[];
  readonly limits: EngineLimits;
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #opts: ResolvedOptions;
  readonly #checksum: Checksum;
  readonly #lock: FileLock;
  readonly #versions: VersionSet;
  readonly #tableIds: Map<string, number>;
  readonly #blockCache: BlockCache;
  readonly #tableCache: TableCache;
  readonly #readCounters: ReadCounters;
  readonly #counters: WriteCounters = newWriteCounters();

  /** Invariant: every batch with seq <= #lastSeq is fully applied to a memtable or an SSTable. */
  #lastSeq: number;
  #mem: Memtable;
  /** Immutable memtables awaiting flush, newest first. */
  #imms: Memtable[] = [];
  #wal: File;
  /** Live snapshots and scans: read sequence number -> count. */
  readonly #snapshots = new Map<number, number>();
  /** File numbers of outputs being written by running jobs. */
  readonly #pendingOutputs = new Set<number>();

  readonly #queue = new WriteQueue();
  #leading = false;
  #leader: Promise<void> = Promise.resolve();
  /** Slowdown debt in ms not yet slept. */
  #delayDebtMs = 0;
  readonly #loopWatch: LoopWatch;
  /** Runs compactions off the event loop (real filesystem only); undefined to run them in time slices here. */
  readonly #thread: CompactionThread | undefined;
  /** Likewise for flushes: a thread of their own, so a flush never queues behind a long compaction. */
  readonly #flushThread: CompactionThread | undefined;

  #closed = false;
  #closing = false;
  /** close() has released the lock. */
  #shutDown = false;
  /** The first close() (later calls return it). */
  #closing$: Promise<void> | undefined;
  /** A WAL append, sync or switch failed: its tail is unknown, so close() must not sync it. */
  #walFailed = false;
  /**
   * Settles once every WAL before the current one is synced and closed, with
   * the directory entry of the current one (see #switchMemtableOrThrow);
   * rejects (and the engine fails stop) if one of those syncs failed.
   */
  #olderWalsSynced: Promise<void> = Promise.resolve();
  /** WALs whose background sync is still running: not deleted until it ends. */
  readonly #syncingWals = new Set<number>();
  /** Memtable switches so far, and how many of their background syncs have succeeded, in order. */
  #switches = 0;
  #syncedSwitches = 0;
  #failed: EngineError | undefined;
  #flushing: Promise<void> | undefined;
  #compacting: Promise<void> | undefined;
  /** Resolvers waiting for any background progress. */
  #waiters: (() => void)[] = [];

  private constructor(init: {
    tables: readonly string[];
    fs: FileSystem;
    dir: string;
    opts: ResolvedOptions;
    checksum: Checksum;
    lock: FileLock;
    versions: VersionSet;
    blockCache: BlockCache;
    tableCache: TableCache;
    readCounters: ReadCounters;
    lastSeq: number;
    wal: File;
    walNumber: number;
  }) {
    this.tables = Object.freeze([...init.tables]);
    this.limits = init.opts.limits;
    this.#fs = init.fs;
    this.#dir = init.dir;
    this.#opts = init.opts;
    this.#checksum = init.checksum;
    this.#lock = init.lock;
    this.#versions = init.versions;
    this.#tableIds = new Map(init.tables.map((t) => [t, init.versions.tables.get(t) as number]));
    this.#blockCache = init.blockCache;
    this.#tableCache = init.tableCache;
    this.#readCounters = init.readCounters;
    this.#lastSeq = init.lastSeq;
    this.#wal = init.wal;
    this.#mem = new Memtable(init.walNumber);
    this.#loopWatch = new LoopWatch(Math.max(1, init.opts.backgroundSliceMs));
    const threads = init.opts.compactionThread && init.fs instanceof NodeFileSystem;
    this.#thread = threads ? new CompactionThread(COMPACTION_NICE) : undefined;
    this.#flushThread = threads ? new CompactionThread() : undefined;
    // The flush thread starts with the engine: the first flush should not wait for its startup.
    this.#flushThread?.warm();
    this.#versions.onObsolete = () => this.#deleteObsoleteFiles();
  }

  // ---------------------------------------------------------------- open

  /** Opens (or creates) the database in `options.dir`, recovering it from its manifest and WALs. */
  static async open(options: LsmOptions): Promise<LsmEngine> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgument('LsmEngine.open needs an options object');
    const tables = checkTableNames(options.tables);
    const opts = resolveOptions(options);
    const { fs, dir } = options;
    if (typeof dir !== 'string' || dir === '') throw new InvalidArgument('option dir must be a path');
    if (typeof fs !== 'object' || fs === null) throw new InvalidArgument('option fs must be a FileSystem');
    const checksum = await loadChecksum();
    if (!fs.exists(dir)) {
      io(`creating ${dir}`, () => fs.mkdir(dir, { recursive: true }));
      await ioAsync(`syncing ${posix.dirname(dir)}`, () => fs.syncDir(posix.dirname(dir)));
    }
    const lock = io(`locking ${dir}`, () => fs.lock(posix.join(dir, LOCK)));
    let versions: VersionSet | undefined;
    let tableCache: TableCache | undefined;
    try {
      versions = VersionSet.recover(fs, dir, checksum, { numLevels: opts.numLevels, manifestMaxBytes: opts.manifestMaxBytes });
      try {
        versions.registerTables(tables);
      } catch (err) {
        throw new InvalidArgument(err instanceof Error ? err.message : String(err));
      }
      const readCounters = newReadCounters();
      const blockCache = new BlockCache(opts.blockCacheBytes);
      tableCache = new TableCache(fs, dir, opts.maxOpenFiles, { checksum, blockCache, counters: readCounters, useFilters: opts.useFilters });
      const lastSeq = await LsmEngine.#recoverWals(fs, dir, checksum, opts, versions, tableCache);
      // A fresh WAL, then a fresh manifest naming it: older WALs are now redundant.
      const walNumber = versions.newFileNumber();
      const walPath = posix.join(dir, walName(walNumber));
      const wal = io(`creating ${walPath}`, () => fs.create(walPath));
      try {
        await versions.writeSnapshot(walNumber, lastSeq);
      } catch (err) {
        wal.close();
        throw err;
      }
      const engine = new LsmEngine({
        tables,
        fs,
        dir,
        opts,
        checksum,
        lock,
        versions,
        blockCache,
        tableCache,
        readCounters,
        lastSeq,
        wal,
        walNumber,
      });
      engine.#deleteObsoleteFiles(true);
      engine.#scheduleBackground();
      return engine;
    } catch (err) {
      tableCache?.close();
      versions?.close();
      lock.release();
      throw err;
    }
  }

  /** Replays WALs at or above the manifest's log number into memtables and flushes them to L0. Returns the last sequence number. */
  static async #recoverWals(
    fs: FileSystem,
    dir: string,
    checksum: Checksum,
    opts: ResolvedOptions,
    versions: VersionSet,
    tableCache: TableCache,
  ): Promise<number> {
    const wals = io(`listing ${dir}`, () => fs.list(dir))
      .map(parseName)
      .filter((p): p is { type: 'wal'; number: FileNum } => p.type === 'wal' && p.number >= versions.logNumber)
      .map((p) => p.number)
      .sort((a, b) => a - b);
    let lastSeq = versions.lastSeq;
    let mem = new Memtable(0);
    const knownIds = new Set(versions.tables.values());
    const flush = async (): Promise<void> => {
      if (mem.empty) return;
      const deps: JobDeps = {
        output: {
          fs,
          dir,
          checksum,
          table: tableOptions(opts),
          targetFileSize: Infinity,
          newFileNumber: () => versions.newFileNumber(),
        },
        tableCache,
        snapshots: [],
        yielder: new Yielder(opts.backgroundSliceMs),
      };
      const result = await runFlush(mem, deps);
      await versions.logAndApply({ added: result.outputs.map((meta) => ({ level: 0, meta })), lastSeq });
      mem = new Memtable(0);
    };
    // Point-in-time recovery over a contiguous log. Sequence numbers run on
    // from WAL to WAL, so records missing before a later one are the lost tail
    // of an older WAL. If the manifest says that WAL was fully synced
    // (syncedLog), that is damage: Corruption. If not, power was lost before
    // its background sync ended (see #switchMemtableOrThrow); no sync of a
    // later WAL can have finished (each waits for every older WAL), so nothing
    // after the gap was promised: replay stops there.
    const syncedLog = versions.syncedLog;
    let prevWal: number | undefined;
    replay: for (const number of wals) {
      const path = posix.join(dir, walName(number));
      const contents = readWal(fs, path, checksum);
      for (const rec of contents.records) {
        if (rec.seq <= lastSeq) continue; // Already in an SSTable (a crash between flush and WAL removal).
        if (rec.seq !== lastSeq + 1) {
          const suspect = contents.records[0] === rec && prevWal !== undefined ? prevWal : number;
          if (suspect <= syncedLog) {
            throw new Corruption(posix.join(dir, walName(suspect)), 0, `records ${lastSeq + 1}..${rec.seq - 1} are missing from a WAL that was fully synced`);
          }
          break replay;
        }
        let seq = rec.seq;
        for (const op of rec.ops) {
          if (!knownIds.has(op.tableId)) throw new Corruption(path, 0, `WAL record names unknown table id ${op.tableId}`);
          applyOp(mem, seq, op.type, tableKey(op.tableId, op.key), op.type === OpType.DeleteRange ? tableKey(op.tableId, op.value) : op.value);
          seq++;
        }
        lastSeq = seq - 1;
        if (mem.bytes >= opts.writeBufferSize) await flush();
      }
      // A crash can tear only a WAL whose sync had not finished.
      if (contents.torn && number <= syncedLog) throw new Corruption(path, 0, 'a WAL that was fully synced ends in a torn record');
      prevWal = number;
    }
    await flush();
    return lastSeq;
  }

  // ---------------------------------------------------------------- reads

  /** get() without the promise: reads are synchronous (page cache and block cache). */
  getSync(table: string, key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    const id = this.#tableId(table);
    return this.#get(id, checkKey(key, this.limits), this.#lastSeq);
  }

  async get(table: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getSync(table, key);
  }

  async getMulti(table: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.#checkOpen();
    const id = this.#tableId(table);
    const seq = this.#lastSeq;
    return checkKeys(keys, this.limits).map((k) => this.#get(id, k, seq));
  }

  scan(table: string, options?: ScanOptions): AsyncIterableIterator<Entry> {
    this.#checkOpen();
    return this.#scan(table, options, this.#lastSeq, () => this.#checkOpen());
  }

  snapshot(): Snapshot {
    this.#checkOpen();
    const seq = this.#lastSeq;
    this.#addSnapshot(seq);
    let released = false;
    const check = (): void => {
      if (released) throw new Closed('snapshot is released');
      this.#checkOpen();
    };
    return {
      get: async (table, key) => {
        check();
        return this.#get(this.#tableId(table), checkKey(key, this.limits), seq);
      },
      getMulti: async (table, keys) => {
        check();
        const id = this.#tableId(table);
        return checkKeys(keys, this.limits).map((k) => this.#get(id, k, seq));
      },
      scan: (table, options) => {
        check();
        return this.#scan(table, options, seq, check);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#removeSnapshot(seq);
      },
    };
  }

  /** Lookup keys reused by #get, by user-key length (short keys only). */
  readonly #lookupKeys: (LookupKey | undefined)[] = [];
  /** Where the last table probe found its entry (reused; #get is synchronous). */
  readonly #hit = new PointHit();

  #get(tableId: number, key: Uint8Array, readSeq: number): Uint8Array | undefined {
    this.#counters.gets++;
    const n = key.length;
    let lk = n < REUSED_LOOKUP_KEYS ? this.#lookupKeys[n] : undefined;
    if (lk === undefined) {
      lk = new LookupKey(n);
      if (n < REUSED_LOOKUP_KEYS) this.#lookupKeys[n] = lk;
    }
    lk.set(tableId, key, readSeq);
    const tkey = lk.tkey;
    try {
      // Newest source first; a range tombstone seen on the way hides older versions.
      let maxTomb = 0;
      for (let i = -1; i < this.#imms.length; i++) {
        const m = i < 0 ? this.#mem : (this.#imms[i] as Memtable);
        const idx = m.tombstoneIndex();
        if (!idx.empty) {
          const t = idx.maxCovering(tkey, readSeq);
          if (t > maxTomb) maxTomb = t;
        }
        const e = m.get(tkey, readSeq);
        if (e !== undefined) return e.seq < maxTomb || e.kind !== Kind.Put ? undefined : e.value;
      }
      const v = this.#versions.current;
      const l0 = v.files(0);
      for (let i = 0; i < l0.length; i++) {
        const f = l0[i] as FileMeta;
        if (!inRange(tkey, f)) continue;
        const r = this.#probe(f, lk, maxTomb);
        if (r !== MISS) return r;
        maxTomb = this.#lastTomb;
      }
      for (let level = 1; level < v.numLevels; level++) {
        const files = v.files(level);
        if (files.length === 0) continue;
        const i = v.findFile(level, tkey);
        if (i < 0) continue;
        const r = this.#probe(files[i] as FileMeta, lk, maxTomb);
        if (r !== MISS) return r;
        maxTomb = this.#lastTomb;
      }
      return undefined;
    } catch (err) {
      throw asEngineError(err, 'reading');
    }
  }

  /** Covering tombstone seq after the last #probe. */
  #lastTomb = 0;

  /** Looks `lk` up in one table: the answer if the table decides it, MISS to go on (with #lastTomb set). */
  #probe(f: FileMeta, lk: LookupKey, maxTomb: number): Uint8Array | undefined | typeof MISS {
    // Synchronous use: the reader cannot be closed before this returns.
    const t = this.#tableCache.peek(f);
    let tomb = maxTomb;
    if (f.rangeDels > 0) {
      const c = t.tombstones.maxCovering(lk.tkey, lk.seq);
      if (c > tomb) tomb = c;
    }
    this.#lastTomb = tomb;
    const hit = this.#hit;
    if (!t.reader.lookup(lk, hit)) return MISS;
    const value = hit.seq < tomb || hit.kind !== Kind.Put ? undefined : hit.copyValue();
    hit.block = undefined;
    return value;
  }

  #memtables(): Memtable[] {
    return [this.#mem, ...this.#imms];
  }

  /**
   * scan() without the promises: a synchronous iterator over the same
   * consistent view (reads are synchronous here). Leaving a for-of loop early
   * releases what it holds; an abandoned iterator holds its version and
   * snapshot until the engine closes.
   */
  scanSync(table: string, options?: ScanOptions): IterableIterator<Entry> {
    this.#checkOpen();
    return this.#scanIterator(table, options, this.#lastSeq, () => this.#checkOpen());
  }

  #scan(table: string, options: ScanOptions | undefined, readSeq: number, check: () => void): AsyncIterableIterator<Entry> {
    const inner = this.#scanIterator(table, options, readSeq, check);
    const iterator: AsyncIterableIterator<Entry> = {
      next: async (): Promise<IteratorResult<Entry>> => inner.next(),
      return: async (): Promise<IteratorResult<Entry>> => {
        inner.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  #scanIterator(table: string, options: ScanOptions | undefined, readSeq: number, check: () => void): IterableIterator<Entry> {
    const id = this.#tableId(table);
    const range = resolveScanRange(options, this.limits);
    const prefix = tablePrefix(id);
    const lower = range.lower === undefined ? prefix : tableKey(id, range.lower);
    const upper = range.upper !== undefined ? tableKey(id, range.upper) : id < MAX_TABLE_ID ? tablePrefix(id + 1) : undefined;
    let remaining = range.limit;
    if (range.empty) return [][Symbol.iterator]();
    // Pin what the scan reads: its seq (against GC), its version (against file deletion), its tables.
    this.#addSnapshot(readSeq);
    const version = this.#versions.current;
    this.#versions.ref(version);
    const handles: TableHandle[] = [];
    const levelIters: LevelIterator[] = [];
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const it of levelIters) it.close();
      for (const h of handles) h.release();
      this.#versions.unref(version);
      this.#removeSnapshot(readSeq);
    };
    let cursor: DbIterator;
    try {
      // Without an upper bound (the last table id), a key above every table key: 0xff past the longest.
      const scanRange: KeyRange =
        upper === undefined
          ? { smallest: lower, largest: new Uint8Array(TABLE_ID_SIZE + this.limits.maxKeySize + 1).fill(0xff), largestExclusive: false }
          : { smallest: lower, largest: upper, largestExclusive: true };
      const children: InternalIterator[] = [];
      const tombs: RangeTombstone[] = [];
      for (const m of this.#memtables()) {
        children.push(m.iterator());
        tombs.push(...m.tombstoneIndex().visible(lower, upper, readSeq));
      }
      for (const f of version.overlapping(0, scanRange)) {
        const h = this.#tableCache.acquire(f);
        handles.push(h);
        children.push(h.reader.iterator());
        if (f.rangeDels > 0) tombs.push(...h.tombstones.visible(lower, upper, readSeq));
      }
      for (let level = 1; level < version.numLevels; level++) {
        const files = version.overlapping(level, scanRange);
        if (files.length === 0) continue;
        const it = new LevelIterator(files, this.#tableCache);
        levelIters.push(it);
        children.push(it);
        for (const f of files) {
          if (f.rangeDels === 0) continue;
          const h = this.#tableCache.acquire(f);
          try {
            tombs.push(...h.tombstones.visible(lower, upper, readSeq));
          } finally {
            h.release();
          }
        }
      }
      cursor = new DbIterator(new MergingIterator(children), { readSeq, tombstones: new FragmentIndex(tombs), lower, upper, reverse: range.reverse });
    } catch (err) {
      release();
      throw asEngineError(err, 'opening a scan');
    }
    const iterator: IterableIterator<Entry> = {
      next: (): IteratorResult<Entry> => {
        if (released) return { done: true, value: undefined };
        try {
          check();
          if (remaining <= 0) {
            release();
            return { done: true, value: undefined };
          }
          const e = cursor.next();
          if (e === undefined) {
            release();
            return { done: true, value: undefined };
          }
          remaining--;
          return { done: false, value: e };
        } catch (err) {
          release();
          throw asEngineError(err, 'scanning');
        }
      },
      return: (): IteratorResult<Entry> => {
        release();
        return { done: true, value: undefined };
      },
      [Symbol.iterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  #addSnapshot(seq: number): void {
    this.#snapshots.set(seq, (this.#snapshots.get(seq) ?? 0) + 1);
  }

  #removeSnapshot(seq: number): void {
    const n = (this.#snapshots.get(seq) ?? 0) - 1;
    if (n <= 0) this.#snapshots.delete(seq);
    else this.#snapshots.set(seq, n);
  }

  // ---------------------------------------------------------------- writes

  write(ops: readonly WriteOp[], options?: WriteOptions): Promise<void> {
    let batch: EncodedBatch;
    let sync: boolean;
    try {
      this.#checkOpen();
      sync = checkWriteOptions(options).sync;
      checkWriteBatch(ops, this.#tableIds, this.limits);
      if (this.#failed !== undefined) throw this.#failed;
      batch = this.#queue.encode(ops, this.#tableIds);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ batch, sync, resolve, reject });
      if (!this.#leading) {
        // Writes issued in this same tick join the group: the commit runs as a microtask.
        this.#leading = true;
        queueMicrotask(this.#drain);
      }
    });
  }

  /**
   * Commits the queued writes. When nothing needs waiting for (no sync asked,
   * room in the memtable, no stall, the event loop not starved) the whole
   * group commits here and now; otherwise the async leader takes over.
   */
  readonly #drain = (): void => {
    try {
      if (this.#queue.length > 0 && this.#canCommitNow()) this.#commitUnsynced(this.#queue.take());
    } finally {
      if (this.#queue.length === 0) this.#leading = false;
      else this.#leader = this.#lead();
    }
  };

  #canCommitNow(): boolean {
    return this.#hasRoom() && !this.#queue.wantsSync && !this.#loopWatch.due();
  }

  /** True if #makeRoomForWrite would return at once: no failure, no close, room in the memtable, no stall. */
  #hasRoom(): boolean {
    const o = this.#opts;
    return this.#failed === undefined && !this.#closing && this.#mem.bytes < o.writeBufferSize && this.#l0Pressure() < o.l0SlowdownTrigger;
  }

  async #lead(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        if (this.#failed !== undefined) {
          this.#rejectAll(this.#failed);
          break;
        }
        // Back on the fast path once nothing needs waiting for.
        if (this.#canCommitNow()) {
          this.#commitUnsynced(this.#queue.take());
          continue;
        }
        // Awaited only when it has something to wait for: a synced group's latency is the device's plus this path.
        if (!this.#hasRoom()) {
          try {
            await this.#makeRoomForWrite();
          } catch (err) {
            this.#rejectAll(asEngineError(err, 'making room for a write'));
            continue;
          }
        }
        // A group that syncs waits for the device, so the loop turns anyway: no heartbeat for it.
        if (!this.#queue.wantsSync && this.#loopWatch.due()) await this.#loopWatch.yield();
        await this.#commit(this.#queue.take());
      }
    } finally {
      this.#leading = false;
    }
  }

  /** Appends the group's batches to the WAL as one write; returns the seq after them, or undefined if the append failed (group failed). */
  #append(group: Group): number | undefined {
    let seq = this.#lastSeq + 1;
    const buf = group.buffer;
    for (const p of group.writers) {
      if (p.batch.count === 0) continue;
      sealBatch(buf.bytes, p.batch, seq, this.#checksum);
      seq += p.batch.count;
    }
    if (buf.length === 0) return seq;
    try {
      const wal = this.#wal;
      io(`appending to ${wal.path}`, () => wal.append(buf.bytes.subarray(0, buf.length)));
      this.#counters.walBytes += buf.length;
    } catch (err) {
      this.#failGroup(group.writers, err);
      return undefined;
    }
    return seq;
  }

  /**
   * Applies the group's batches to the memtable in order, then recycles the
   * group's buffer (the WAL and the memtable have their copies). The entries
   * stay invisible until #lastSeq moves past them, which happens only once
   * they are as durable as promised; if a sync fails, #lastSeq never moves
   * again (fail-stop), so they are never read.
   */
  #apply(group: Group): boolean {
    let s = this.#lastSeq + 1;
    const bytes = group.buffer.bytes;
    try {
      for (const p of group.writers) {
        if (p.batch.count === 0) continue;
        s = applyBatch(this.#mem, bytes, group.buffer.view, p.batch, s);
        this.#counters.userBytes += p.batch.userBytes;
        this.#counters.ops += p.batch.count;
      }
    } catch (err) {
      // Say, out of memory for an arena chunk: the memtable now holds part of
      // the group (invisible, as #lastSeq never moves again). The WAL is fine;
      // the writers learn the outcome is unknown, and the engine fails stop.
      const e = asEngineError(err, 'applying a write group to the memtable');
      this.#failStop(e);
      for (const p of group.writers) p.reject(e);
      return false;
    }
    this.#queue.recycle(group);
    return true;
  }

  /** Makes a committed group visible and resolves its writers. */
  #publish(group: Group, nextSeq: number): void {
    this.#counters.batches += group.writers.length;
    this.#counters.groups++;
    this.#lastSeq = nextSeq - 1;
    for (const p of group.writers) p.resolve();
  }

  /** Commits a group that asked for no sync: append, apply, publish, all at once. */
  #commitUnsynced(group: Group): void {
    const next = this.#append(group);
    if (next === undefined) return;
    if (this.#apply(group)) this.#publish(group, next);
  }

  async #commit(group: Group): Promise<void> {
    const next = this.#append(group);
    if (next === undefined) return;
    let syncing: Promise<void> | undefined;
    if (group.writers.some((p) => p.sync)) {
      const wal = this.#wal;
      const own = ioAsync(`syncing ${wal.path}`, () => wal.datasync());
      // Durable only with everything before it: the older WALs' background sync
      // too, unless it already succeeded. Both settle before the outcome is
      // known, so no datasync is left running.
      syncing =
        this.#syncedSwitches === this.#switches
          ? own
          : Promise.allSettled([this.#olderWalsSynced, own]).then(([older, mine]) => {
              if (older.status === 'rejected') throw older.reason;
              if (mine.status === 'rejected') throw mine.reason;
            });
    }
    // Apply while the sync (if any) is in flight (see #apply).
    if (!this.#apply(group)) {
      await syncing?.catch(noop);
      return;
    }
    if (syncing !== undefined) {
      try {
        await syncing;
        this.#counters.walSyncs++;
      } catch (err) {
        this.#failGroup(group.writers, err);
        return;
      }
    }
    this.#publish(group, next);
  }

  #failGroup(group: readonly Pending[], err: unknown): void {
    const e = asEngineError(err, 'writing the WAL');
    this.#walFailed = true;
    this.#failStop(e);
    for (const p of group) p.reject(e);
  }

  #rejectAll(err: unknown): void {
    for (const p of this.#queue.take().writers) p.reject(err);
  }

  /** Number of L0 files (leveled) or sorted runs (tiered): what the slowdown and stop triggers count. */
  #l0Pressure(): number {
    // Without automatic compaction nothing would ever lift a stall.
    if (this.#opts.disableAutoCompactions) return 0;
    const v = this.#versions.current;
    return this.#opts.compaction.style === 'tiered' ? sortedRuns(v).length : v.files(0).length;
  }

  async #makeRoomForWrite(): Promise<void> {
    let delayed = false;
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      // close() waits for queued writes before it sets #closing: they still commit.
      if (this.#closing) throw new Closed();
      const l0 = this.#l0Pressure();
      const o = this.#opts;
      if (!delayed && l0 >= o.l0SlowdownTrigger && l0 < o.l0StopTrigger) {
        // Gradual slowdown: the allowed rate falls linearly to near zero at the stop trigger.
        delayed = true;
        const bytes = this.#queue.bytes;
        const rate = (o.delayedWriteRate * (o.l0StopTrigger - l0)) / (o.l0StopTrigger - o.l0SlowdownTrigger + 1);
        this.#delayDebtMs += (1000 * bytes) / Math.max(1, rate);
        this.#counters.slowdowns++;
        if (this.#delayDebtMs >= 1) {
          const ms = Math.floor(this.#delayDebtMs);
          this.#delayDebtMs -= ms;
          const t0 = performance.now();
          await sleep(ms);
          this.#counters.stallMicros += Math.round((performance.now() - t0) * 1000);
        }
        continue;
      }
      if (this.#mem.bytes < o.writeBufferSize) return;
      if (this.#imms.length >= o.maxImmutableMemtables || l0 >= o.l0StopTrigger) {
        this.#counters.stops++;
        const t0 = performance.now();
        this.#scheduleBackground();
        await this.#backgroundProgress();
        this.#counters.stallMicros += Math.round((performance.now() - t0) * 1000);
        continue;
      }
      await this.#switchMemtable();
    }
  }

  /** Seals the memtable and starts a new one with a new WAL. Only the leader (or close/flush with the leader idle) calls it. */
  async #switchMemtable(): Promise<void> {
    try {
      await this.#switchMemtableOrThrow();
    } catch (err) {
      // A failed WAL sync leaves the WAL's tail unknown; a half-made switch is no better.
      const e = asEngineError(err, 'switching the memtable');
      this.#walFailed = true;
      this.#failStop(e);
      throw e;
    }
  }

  async #switchMemtableOrThrow(): Promise<void> {
    const old = this.#wal;
    const oldNumber = this.#mem.walNumber;
    const number = this.#versions.newFileNumber();
    const path = posix.join(this.#dir, walName(number));
    this.#wal = io(`creating ${path}`, () => this.#fs.create(path));
    this.#imms.unshift(this.#mem);
    this.#mem = new Memtable(number);
    // The old WAL and the new WAL's directory entry become durable in the
    // background (RocksDB syncs older logs lazily too): only a sync of the new
    // WAL, which must not promise more than its predecessors, and close() wait
    // for it. Writers no longer stall for a 16 MiB fdatasync at every switch.
    this.#syncingWals.add(oldNumber);
    const switchNumber = ++this.#switches;
    const before = this.#olderWalsSynced;
    this.#olderWalsSynced = (async (): Promise<void> => {
      try {
        await before;
        await ioAsync(`syncing ${old.path}`, () => old.datasync());
        await ioAsync(`syncing ${this.#dir}`, () => this.#fs.syncDir(this.#dir));
        // Recorded so that recovery can tell damage in this WAL from a tail a power loss took.
        if (this.#failed === undefined && !this.#shutDown) await this.#versions.logAndApply({ syncedLog: oldNumber });
        this.#syncedSwitches = switchNumber;
      } catch (err) {
        // Later syncs can no longer promise that everything before them is durable.
        const e = asEngineError(err, 'syncing an older WAL');
        this.#failStop(e);
        throw e;
      } finally {
        old.close();
        this.#syncingWals.delete(oldNumber);
      }
      // Flushed while its sync ran: nothing else would delete it before the next flush.
      if (oldNumber < this.#versions.logNumber) this.#deleteObsoleteFiles();
    })();
    this.#olderWalsSynced.catch(noop);
    this.#scheduleBackground();
  }

  // ---------------------------------------------------------------- background

  #failStop(err: EngineError): void {
    this.#failed ??= err;
    this.#notify();
  }

  #notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  #backgroundProgress(): Promise<void> {
    if (this.#flushing === undefined && this.#compacting === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #scheduleBackground(): void {
    if (this.#closing || this.#failed !== undefined) return;
    if (this.#flushing === undefined && this.#imms.length > 0) {
      this.#flushing = this.#flushLoop().finally(() => {
        this.#flushing = undefined;
        this.#notify();
        this.#scheduleBackground();
      });
    }
    if (this.#compacting === undefined && !this.#opts.disableAutoCompactions && this.#pick() !== undefined) {
      this.#compacting = this.#compactionLoop().finally(() => {
        this.#compacting = undefined;
        this.#notify();
        this.#scheduleBackground();
      });
    }
  }

  async #flushLoop(): Promise<void> {
    await Promise.resolve();
    while (!this.#closing && this.#failed === undefined && this.#imms.length > 0) {
      try {
        await this.#flushOldest();
      } catch (err) {
        if (err instanceof Aborted || this.#closing) return;
        this.#failStop(asEngineError(err, 'flushing'));
        return;
      }
      this.#notify();
      if (this.#compacting === undefined) this.#scheduleBackground();
    }
  }

  async #flushOldest(): Promise<void> {
    const imm = this.#imms[this.#imms.length - 1] as Memtable;
    const newer = this.#imms[this.#imms.length - 2] ?? this.#mem;
    const outputs: number[] = [];
    try {
      const thread = this.#flushThread;
      const result = thread !== undefined ? await this.#flushInThread(thread, imm, outputs) : await runFlush(imm, this.#jobDeps(Infinity, outputs));
      if (this.#closing) throw new Aborted();
      this.#throwIfFailed();
      await this.#versions.logAndApply({
        added: result.outputs.map((meta) => ({ level: 0, meta })),
        logNumber: newer.walNumber,
        lastSeq: imm.largestSeq,
      });
      this.#counters.flushes++;
      this.#counters.flushBytes += result.bytesWritten;
    } finally {
      for (const n of outputs) this.#pendingOutputs.delete(n);
    }
    this.#imms.pop();
    this.#deleteObsoleteFiles();
  }

  #pick(): CompactionSpec | undefined {
    const v = this.#versions.current;
    const c = this.#opts.compaction;
    return c.style === 'leveled' ? pickLeveled(v, c, this.#opts) : pickTiered(v, c, this.#opts);
  }

  async #compactionLoop(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      if (this.#closing || this.#failed !== undefined || this.#opts.disableAutoCompactions) return;
      const spec = this.#pick();
      if (spec === undefined) return;
      try {
        await this.#runCompaction(spec);
      } catch (err) {
        if (err instanceof Aborted || this.#closing) return;
        this.#failStop(asEngineError(err, 'compacting'));
        return;
      }
      this.#notify();
    }
  }

  async #runCompaction(spec: CompactionSpec): Promise<void> {
    const deleted = spec.inputs.flatMap(({ level, files }) => files.map((f) => ({ level, fileNum: f.fileNum })));
    if (spec.trivialMove) {
      this.#throwIfFailed();
      const moved = spec.inputs.flatMap(({ files }) => files.map((meta) => ({ level: spec.outputLevel, meta })));
      await this.#versions.logAndApply({ deleted, added: moved });
      this.#counters.trivialMoves++;
      return;
    }
    const outputs: number[] = [];
    try {
      const target = spec.outputLevel === 0 ? Infinity : this.#opts.targetFileSize;
      const thread = this.#thread;
      let result: JobResult;
      try {
        result = thread !== undefined ? await this.#runInThread(thread, spec, target, outputs) : await runCompaction(spec, this.#jobDeps(target, outputs));
      } catch (err) {
        if (!(err instanceof OutOfFileNumbers)) throw err;
        // Outputs far larger than the inputs (say, reopened without compression): redo it here.
        result = await runCompaction(spec, this.#jobDeps(target, outputs));
      }
      if (this.#closing) throw new Aborted();
      this.#throwIfFailed();
      await this.#versions.logAndApply({ deleted, added: result.outputs.map((meta) => ({ level: spec.outputLevel, meta })) });
      this.#counters.compactions++;
      this.#counters.compactionBytesRead += result.bytesRead;
      this.#counters.compactionBytesWritten += result.bytesWritten;
    } finally {
      for (const n of outputs) this.#pendingOutputs.delete(n);
    }
    this.#deleteObsoleteFiles();
  }

  /** Runs a compaction on the worker thread, with a block of file numbers reserved for its outputs. */
  #runInThread(thread: CompactionThread, spec: CompactionSpec, target: number, outputs: number[]): Promise<JobResult> {
    let inputBytes = 0;
    for (const { files } of spec.inputs) for (const f of files) inputBytes += f.size;
    const fileNumbers = this.#reserveOutputs((Number.isFinite(target) ? Math.ceil((2 * inputBytes) / target) : 0) + 16, outputs);
    return thread.run({
      kind: 'compaction',
      dir: this.#dir,
      spec,
      snapshots: [...this.#snapshots.keys()],
      table: tableOptions(this.#opts),
      targetFileSize: target,
      fileNumbers,
    });
  }

  /** Flushes `imm` on the worker thread, which reads the memtable's arena chunks in place (shared memory). */
  async #flushInThread(thread: CompactionThread, imm: Memtable, outputs: number[]): Promise<JobResult> {
    const entries = imm.frozen();
    const fileNumbers = this.#reserveOutputs(4, outputs);
    return thread.run({
      kind: 'flush',
      dir: this.#dir,
      entries,
      tombstones: imm.rangeTombstones(),
      snapshots: [...this.#snapshots.keys()],
      table: tableOptions(this.#opts),
      targetFileSize: Infinity,
      fileNumbers,
    });
  }

  /** Allocates `count` file numbers for a job's outputs, protected from deletion until the job is recorded (or abandoned). */
  #reserveOutputs(count: number, outputs: number[]): number[] {
    const numbers: number[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.#versions.newFileNumber();
      this.#pendingOutputs.add(n);
      outputs.push(n);
      numbers.push(n);
    }
    return numbers;
  }

  #jobDeps(targetFileSize: number, outputs: number[]): JobDeps {
    const yielder = new Yielder(this.#opts.backgroundSliceMs);
    const closing = (): boolean => this.#closing;
    return {
      output: {
        fs: this.#fs,
        dir: this.#dir,
        checksum: this.#checksum,
        table: tableOptions(this.#opts),
        targetFileSize,
        newFileNumber: () => {
          if (closing()) throw new Aborted();
          return this.#reserveOutputs(1, outputs)[0] as FileNum;
        },
      },
      tableCache: this.#tableCache,
      snapshots: [...this.#snapshots.keys()],
      yielder: {
        due: () => yielder.due(),
        yield: async () => {
          await yielder.yield();
          if (closing()) throw new Aborted();
        },
      } as Yielder,
    };
  }

  /**
   * Removes SSTables no live version lists, WALs below the log horizon and
   * manifests older than the live one. In fail-stop it deletes nothing: the
   * manifest's tail is unknown, so any file may still be named by it; the
   * next open cleans up.
   */
  #deleteObsoleteFiles(atOpen = false): void {
    // After close the directory may belong to another process: touch nothing.
    if (this.#shutDown || this.#failed !== undefined) return;
    let names: string[];
    try {
      names = this.#fs.list(this.#dir);
    } catch {
      return;
    }
    const live = this.#versions.liveFiles();
    const liveWals = new Set([this.#mem?.walNumber, ...this.#imms.map((m) => m.walNumber), ...this.#syncingWals]);
    for (const name of names) {
      const p = parseName(name);
      let remove = false;
      if (p.type === 'sst') remove = !live.has(p.number) && !this.#pendingOutputs.has(p.number);
      else if (p.type === 'wal') remove = p.number < this.#versions.logNumber && !liveWals.has(p.number);
      // A manifest numbered above the live one may be a snapshot being written right now.
      else if (p.type === 'manifest') remove = p.number < this.#versions.manifestNumber;
      else if (p.type === 'temp') remove = atOpen;
      if (!remove) continue;
      if (p.type === 'sst') this.#tableCache.evict(p.number);
      try {
        this.#fs.remove(posix.join(this.#dir, name));
      } catch {
        // Left for the next pass; a leftover file is harmless.
      }
    }
  }

  // ---------------------------------------------------------------- maintenance

  /** Flushes the memtable (if it holds anything) and waits until no immutable memtable is left. */
  async flush(): Promise<void> {
    this.#checkOpen();
    // After fail-stop the memtable may hold a failed group's invisible entries: never persist them.
    this.#throwIfFailed();
    await this.#whileLeaderIdle(async () => {
      if (!this.#mem.empty) await this.#switchMemtable();
    });
    while (this.#imms.length > 0) {
      this.#throwIfFailed();
      if (this.#closing) throw new Closed();
      this.#scheduleBackground();
      await this.#backgroundProgress();
    }
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failed !== undefined) throw this.#failed;
  }

  /** Waits until background work is idle: nothing to flush and nothing the picker wants to compact. */
  async waitForCompactions(): Promise<void> {
    this.#checkOpen();
    for (;;) {
      this.#throwIfFailed();
      if (this.#closing) throw new Closed();
      this.#scheduleBackground();
      if (this.#flushing === undefined && this.#compacting === undefined) return;
      await this.#backgroundProgress();
    }
  }

  /** Flushes, then merges every file into the deepest level, dropping all garbage no snapshot needs. */
  async compactAll(): Promise<void> {
    await this.flush();
    // Wait for any running compaction, then run ours with auto-compaction held off.
    while (this.#compacting !== undefined) await this.#compacting;
    this.#checkOpen();
    if (this.#failed !== undefined) throw this.#failed;
    const v = this.#versions.current;
    const inputs = v.levels.map((files, level) => ({ level, files })).filter((i) => i.files.length > 0);
    if (inputs.length === 0) return;
    const outputLevel = v.numLevels - 1;
    const all = unionRange(inputs.flatMap((i) => i.files));
    const spec: CompactionSpec = { reason: 'manual', inputs, outputLevel, bottommost: isBottommost(v, outputLevel, all), trivialMove: false };
    const run = this.#runCompaction(spec);
    // Others only wait for it to settle; the error is this caller's.
    this.#compacting = run.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.#compacting = undefined;
      this.#notify();
    });
    try {
      await run;
    } catch (err) {
      if (err instanceof Aborted) throw new Closed();
      const e = asEngineError(err, 'compacting');
      this.#failStop(e);
      throw e;
    }
    this.#scheduleBackground();
  }

  /** Runs `fn` when no write group is being committed, holding new groups off until it finishes. */
  async #whileLeaderIdle(fn: () => Promise<void>): Promise<void> {
    while (this.#leading) await this.#leader;
    this.#leading = true;
    let finished = false;
    const run = (async (): Promise<void> => {
      try {
        await fn();
      } finally {
        finished = true;
        this.#leading = false;
        if (this.#queue.length > 0) {
          this.#leading = true;
          this.#leader = this.#lead();
        }
      }
    })();
    // Others waiting for the leader to be idle wait for this run (a later leader replaces it).
    if (!finished) this.#leader = run.then(noop, noop);
    await run;
  }

  // ---------------------------------------------------------------- stats

  stats(): LsmStats {
    const v = this.#versions.current;
    const c = this.#opts.compaction;
    const scores = c.style === 'leveled' ? leveledScores(v, c, this.#opts) : [];
    const levels: LevelStats[] = v.levels.map((files, level) => ({
      level,
      files: files.length,
      bytes: v.levelBytes(level),
      score: c.style === 'leveled' ? (scores.find((s) => s.level === level)?.score ?? 0) : level === 0 ? tieredScore(v, this.#opts) : 0,
    }));
    const bc = this.#blockCache.stats();
    return deriveStats({
      style: c.style,
      levels,
      sortedRuns: sortedRuns(v).length,
      memtableBytes: this.#mem.bytes + this.#imms.reduce((n, m) => n + m.bytes, 0),
      immutableMemtables: this.#imms.length,
      lastSeq: this.#lastSeq,
      writes: { ...this.#counters },
      reads: { ...this.#readCounters },
      blockCache: {
        hits: bc.hits,
        misses: bc.misses,
        hitRatio: bc.hits + bc.misses === 0 ? 0 : bc.hits / (bc.hits + bc.misses),
        bytes: bc.bytes,
        capacity: this.#opts.blockCacheBytes,
      },
      openTables: this.#tableCache.size,
    });
  }

  /** stats() as a printable report. */
  statsReport(): string {
    return formatStats(this.stats());
  }

  /** The current version's files per level (for tests and tools). */
  levelFiles(): readonly (readonly FileMeta[])[] {
    return this.#versions.current.levels;
  }

  // ---------------------------------------------------------------- close

  close(): Promise<void> {
    this.#closing$ ??= this.#close();
    return this.#closing$;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    // Writes already queued still commit; then make them durable.
    while (this.#leading) await this.#leader;
    let error: unknown;
    // A failed background sync of an older WAL failed the engine; close() reports it too.
    try {
      await this.#olderWalsSynced;
    } catch (err) {
      error = err;
    }
    if (!this.#walFailed) {
      try {
        const wal = this.#wal;
        await ioAsync(`syncing ${wal.path}`, () => wal.datasync());
      } catch (err) {
        error ??= err;
      }
    }
    this.#closing = true;
    await this.#thread?.close();
    await this.#flushThread?.close();
    await Promise.allSettled([this.#flushing, this.#compacting]);
    this.#wal.close();
    this.#tableCache.close();
    this.#versions.close();
    this.#shutDown = true;
    this.#lock.release();
    this.#notify();
    if (error !== undefined) throw asEngineError(error, 'closing');
  }

  #checkOpen(): void {
    if (this.#closed) throw new Closed();
  }

  /** The last table name #tableId resolved, and its id: most callers use one table at a time. */
  #lastTable: string | undefined;
  #lastTableId = 0;

  #tableId(table: string): number {
    if (table === this.#lastTable) return this.#lastTableId;
    // checkTable throws unless the map holds the name.
    const id = this.#tableIds.get(checkTable(table, this.#tableIds)) as number;
    this.#lastTable = table;
    this.#lastTableId = id;
    return id;
  }
}

const noop = (): void => undefined;
/** #probe's answer when the table holds no version of the key. */
const MISS = Symbol('miss');
/** Niceness of the compaction thread (flushes run at normal priority): see CompactionThread. */
const COMPACTION_NICE = 10;
/** #get reuses a LookupKey for user keys shorter than this. */
const REUSED_LOOKUP_KEYS = 256;

function tableOptions(o: ResolvedOptions): TableBuilderOptions {
  return { blockSize: o.blockSize, restartInterval: o.restartInterval, compression: o.compression, bloomBitsPerKey: o.bloomBitsPerKey };
}
