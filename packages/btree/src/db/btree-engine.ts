// BtreeEngine: a copy-on-write B+Tree in one page file, bbolt/LMDB style,
// crash-safe without a WAL (docs/btree.md; format in docs/format/btree.md).
//
// Write path: write() checks and copies its batch and queues it; one
// committer takes every queued batch as a group (so concurrent writes
// coalesce) and applies the group as one WriteTx. The transaction writes its
// new pages, the catalog and the freelist, then the meta into the slot that
// does not hold the last durable meta. If any batch asked for sync (or
// syncEveryBytes of unsynced pages piled up) one fdatasync follows; then the
// version is published and the writers resolve. A resolved write is in the
// OS before it resolves, so it survives a process crash; a synced one
// survives a power loss. Recovery (recovery.ts) checks the pages an unsynced
// tail wrote and falls back to the durable meta if any is missing.
//
// Interleaving: a commit runs synchronously up to its fdatasync, so reads
// never see a half-built version; reads use the published version, which
// changes only after a commit is as durable as it promised. A failed write
// or sync puts the engine in a fail-stop state: the file's state is unknown,
// so every later write is refused with that error until it is reopened.

import { posix } from 'node:path';
import {
  checkKey,
  checkKeys,
  checkTable,
  checkTableNames,
  checkWriteBatch,
  checkWriteOptions,
  Closed,
  copyWriteOp,
  InvalidArgument,
  io,
  ioAsync,
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
import type { File, FileLock, FileSystem } from '@strata/vfs';
import { blobSpan, encodeBlob } from '../format/blob.js';
import { EMPTY_TABLE, encodeCatalog, type TableRoot } from '../format/catalog.js';
import { DATA_FILE, DEFAULT_PAGE_SIZE, FIRST_DATA_PAGE, LOCK_FILE, MAX_VALUE_SIZE, maxKeySize, META_SLOTS, PageType, TXID_LEASE } from '../format/format.js';
import { encodeFreelist, freelistSize } from '../format/freelist-codec.js';
import { encodeMeta, type Meta, type RunRef } from '../format/meta.js';
import { Freelist } from '../store/freelist.js';
import { PageCache } from '../store/page-cache.js';
import { newPagerCounters, Pager } from '../store/pager.js';
import { lookup, type LookupCounters } from '../tree/lookup.js';
import { WriteTx } from '../tree/write-tx.js';
import { resolveOptions, type BtreeOptions, type ResolvedOptions } from './options.js';
import { readMetas, recover } from './recovery.js';
import { checkVersion, type CheckReport } from './check.js';
import { BtreeScan } from './scan.js';
import { buildStats, type BtreeStats, type EngineCounters } from './stats.js';
import { Readers, Version } from './version.js';

interface Pending {
  readonly ops: readonly WriteOp[];
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Init {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly tables: readonly string[];
  readonly opts: ResolvedOptions;
  readonly lock: FileLock;
  readonly file: File;
  readonly pager: Pager;
  readonly meta: Meta;
  readonly catalog: Map<string, TableRoot>;
  readonly free: readonly number[];
  /** Every valid meta found at open: which txid each slot names. */
  readonly metas: readonly Meta[];
}

export class BtreeEngine implements StorageEngine {
  readonly tables: readonly string[];
  readonly limits: EngineLimits;
  readonly #tableSet: ReadonlySet<string>;
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #opts: ResolvedOptions;
  readonly #lock: FileLock;
  readonly #file: File;
  readonly #pager: Pager;
  readonly #freelist: Freelist;
  readonly #readers = new Readers();
  readonly #lookups: LookupCounters = { gets: 0, pagesTouched: 0 };
  readonly #counters: EngineCounters = { commits: 0, syncs: 0, autoSyncs: 0, userBytes: 0, batches: 0 };
  #version: Version;
  /** The last meta written (published once its commit resolved). */
  #meta: Meta;
  /** The slot holding the newest meta known durable; commits never write it. */
  #durableSlot: number;
  #durableTxid: number;
  /** The txid each meta slot names (0: none): versions recovery may pick, whose pages stay. */
  readonly #slotTxid: number[] = [0, 0, 0];
  /** The highest txid used in this session; txids are never reused. */
  #lastTxid: number;
  /** The durable meta's txid lease: no page may be stamped with a higher txid. */
  #lease: number;
  #unsyncedBytes = 0;
  #queue: Pending[] = [];
  #committing: Promise<void> | undefined;
  #failure: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(init: Init) {
    this.tables = init.tables;
    this.#tableSet = new Set(init.tables);
    this.#fs = init.fs;
    this.#dir = init.dir;
    this.#opts = init.opts;
    this.#lock = init.lock;
    this.#file = init.file;
    this.#pager = init.pager;
    this.limits = Object.freeze({ maxKeySize: maxKeySize(init.pager.pageSize), maxValueSize: MAX_VALUE_SIZE });
    this.#meta = init.meta;
    this.#durableSlot = init.meta.slot;
    this.#durableTxid = init.meta.txid;
    for (const m of init.metas) this.#slotTxid[m.slot] = m.txid;
    this.#lastTxid = init.meta.txid;
    this.#lease = init.meta.txidLease;
    this.#freelist = new Freelist(init.free, init.meta.pageCount);
    const tables = new Map(init.catalog);
    for (const t of init.tables) if (!tables.has(t)) tables.set(t, EMPTY_TABLE);
    this.#version = new Version(init.meta.txid, tables);
  }

  /** Opens the engine in `options.dir`, creating it or recovering it. */
  static async open(options: BtreeOptions): Promise<BtreeEngine> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgument('BtreeEngine.open needs an options object');
    const tables = checkTableNames(options.tables);
    const opts = resolveOptions(options);
    const { fs, dir } = options;
    const checksum = await loadChecksum();
    if (!fs.exists(dir)) {
      io(`creating ${dir}`, () => fs.mkdir(dir, { recursive: true }));
      await ioAsync(`syncing ${posix.dirname(dir)}`, () => fs.syncDir(posix.dirname(dir)));
    }
    const lock = io(`locking ${dir}`, () => fs.lock(posix.join(dir, LOCK_FILE)));
    let file: File | undefined;
    try {
      const path = posix.join(dir, DATA_FILE);
      if (!fs.exists(path)) await BtreeEngine.#create(fs, dir, opts.pageSize ?? DEFAULT_PAGE_SIZE, checksum);
      const f = io(`opening ${path}`, () => fs.open(path, { writable: true }));
      file = f;
      const metas = readMetas(f, path, checksum);
      const pageSize = (metas[0] as Meta).pageSize;
      if (opts.pageSize !== undefined && opts.pageSize !== pageSize) {
        throw new InvalidArgument(`pageSize ${opts.pageSize} was asked for, but ${path} has ${pageSize}-byte pages`);
      }
      const cache = new PageCache(opts.cacheBytes, pageSize);
      const pager = new Pager(f, path, pageSize, checksum, cache, newPagerCounters());
      const rec = recover(metas, pager);
      // Pages written after the recovered meta's durable txid may sit only in
      // the OS cache: make them durable before any page freed since is reused.
      await ioAsync(`syncing ${path}`, () => f.datasync());
      // A crash may have left pages of a commit whose meta was lost, stamped
      // with txids no meta names. Start above every lease on disk, and make
      // the new lease durable before any page is stamped under it.
      const txid = Math.max(...metas.map((m) => m.txidLease)) + 1;
      const slot = [0, 1, 2].find((x) => x !== rec.meta.slot) as number;
      const opened: Meta = { ...rec.meta, slot, txid, durableTxid: txid, txidLease: txid + TXID_LEASE };
      io(`writing ${path}`, () => f.writeAt(encodeMeta(opened, checksum), slot * pageSize));
      pager.counters.pagesWritten.meta++;
      await ioAsync(`syncing ${path}`, () => f.datasync());
      const slots = metas.filter((m) => m.slot !== slot);
      return new BtreeEngine({ fs, dir, tables, opts, lock, file: f, pager, meta: opened, catalog: rec.catalog, free: rec.free, metas: [...slots, opened] });
    } catch (err) {
      file?.close();
      lock.release();
      throw err;
    }
  }

  /**
   * Writes an empty database (every meta slot naming txid 1, an empty
   * catalog and freelist) under a temporary name, syncs it, and renames it
   * into place, so a data file is either absent or whole.
   */
  static async #create(fs: FileSystem, dir: string, pageSize: number, checksum: Checksum): Promise<void> {
    const path = posix.join(dir, DATA_FILE);
    const tmp = `${path}.tmp`;
    const f = io(`creating ${tmp}`, () => fs.create(tmp));
    try {
      const txid = 1;
      const catalog: RunRef = { pgid: FIRST_DATA_PAGE, span: 1, txid };
      const freelist: RunRef = { pgid: FIRST_DATA_PAGE + 1, span: 1, txid };
      io(`writing ${tmp}`, () => {
        f.writeAt(encodeBlob(PageType.Catalog, encodeCatalog(new Map()), catalog, pageSize, checksum), catalog.pgid * pageSize);
        f.writeAt(encodeBlob(PageType.Freelist, encodeFreelist([]), freelist, pageSize, checksum), freelist.pgid * pageSize);
        for (let slot = 0; slot < META_SLOTS; slot++) {
          const meta: Meta = { slot, txid, pageSize, pageCount: FIRST_DATA_PAGE + 2, durableTxid: txid, catalog, freelist, txidLease: txid + TXID_LEASE };
          f.writeAt(encodeMeta(meta, checksum), slot * pageSize);
        }
      });
      await ioAsync(`syncing ${tmp}`, () => f.datasync());
    } finally {
      f.close();
    }
    io(`renaming ${tmp}`, () => fs.rename(tmp, path));
    await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
  }

  // ---- reads ----

  #checkOpen(): void {
    if (this.#closed) throw new Closed();
  }

  #get(version: Version, table: string, key: Uint8Array): Uint8Array | undefined {
    checkTable(table, this.#tableSet);
    checkKey(key, this.limits);
    return lookup(this.#pager, version.tables.get(table) ?? EMPTY_TABLE, key, this.#lookups);
  }

  /** get(), synchronously: pages come from the cache or the OS page cache. */
  getSync(table: string, key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    return this.#get(this.#version, table, key);
  }

  get(table: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return Promise.resolve(this.getSync(table, key));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #getMulti(version: Version, table: string, keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    checkTable(table, this.#tableSet);
    checkKeys(keys, this.limits);
    const root = version.tables.get(table) ?? EMPTY_TABLE;
    return keys.map((k) => lookup(this.#pager, root, k, this.#lookups));
  }

  getMulti(table: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    try {
      this.#checkOpen();
      return Promise.resolve(this.#getMulti(this.#version, table, keys));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #scan(version: Version, table: string, options: ScanOptions | undefined, alsoRelease?: () => void): AsyncIterableIterator<Entry> {
    checkTable(table, this.#tableSet);
    const range = resolveScanRange(options, this.limits);
    this.#readers.pin(version.txid);
    return new BtreeScan(
      {
        pager: this.#pager,
        isClosed: () => this.#closed,
        release: () => {
          this.#readers.unpin(version.txid);
          alsoRelease?.();
          this.#releasePages();
        },
      },
      version.tables.get(table) ?? EMPTY_TABLE,
      range,
    );
  }

  scan(table: string, options?: ScanOptions): AsyncIterableIterator<Entry> {
    this.#checkOpen();
    return this.#scan(this.#version, table, options);
  }

  snapshot(): Snapshot {
    this.#checkOpen();
    const version = this.#version;
    this.#readers.pin(version.txid);
    let released = false;
    const live = (): void => {
      if (released) throw new Closed('snapshot was released');
      this.#checkOpen();
    };
    const asPromise = <T>(fn: () => T): Promise<T> => {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    return {
      get: (table, key) => asPromise(() => (live(), this.#get(version, table, key))),
      getMulti: (table, keys) => asPromise(() => (live(), this.#getMulti(version, table, keys))),
      scan: (table, options) => {
        live();
        return this.#scan(version, table, options);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#readers.unpin(version.txid);
        this.#releasePages();
      },
    };
  }

  /**
   * Makes pages reusable that no reader and no recoverable version needs any
   * more (see store/freelist.ts). Slots naming versions older than the
   * durable one do not count: recovery takes the durable meta, which is
   * synced, before any of them.
   */
  #releasePages(): void {
    const d = this.#durableTxid;
    this.#freelist.release(d, [...this.#slotTxid.filter((t) => t > d), ...this.#readers.pinned()]);
  }

  // ---- writes ----

  write(ops: readonly WriteOp[], options?: WriteOptions): Promise<void> {
    try {
      this.#checkOpen();
      if (this.#closing !== undefined) throw new Closed();
      const batch = checkWriteBatch(ops, this.#tableSet, this.limits);
      const { sync } = checkWriteOptions(options);
      if (this.#failure !== undefined) throw this.#failure;
      const copied = batch.map(copyWriteOp);
      return new Promise<void>((resolve, reject) => {
        this.#queue.push({ ops: copied, sync, resolve, reject });
        this.#committing ??= this.#drain();
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Commits queued groups until the queue is empty. Starts after a microtask, so writes issued together share a group. */
  async #drain(): Promise<void> {
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        await this.#commitGroup(group);
      }
    } finally {
      this.#committing = undefined;
    }
  }

  #failStop(err: unknown): void {
    this.#failure ??= err instanceof Error ? err : new Error(String(err));
  }

  async #commitGroup(group: readonly Pending[]): Promise<void> {
    const rejectAll = (err: unknown): void => {
      for (const w of group) w.reject(err);
    };
    if (this.#failure !== undefined) return rejectAll(this.#failure);
    const wantsSync = group.some((w) => w.sync);
    if (group.every((w) => w.ops.length === 0)) {
      if (wantsSync) {
        try {
          await this.#syncFile();
        } catch (err) {
          return rejectAll(err);
        }
      }
      for (const w of group) w.resolve();
      return;
    }

    // Build the transaction. Reads may fail (Corruption, IoError); nothing is allocated or written yet.
    const txid = this.#lastTxid + 1;
    if (txid > this.#lease) {
      // Cannot happen: the commit that reaches the lease extends it and syncs. Refuse rather than reuse a txid.
      this.#failStop(new Error(`txid ${txid} past the durable lease ${this.#lease}`));
      return rejectAll(this.#failure);
    }
    const tx = new WriteTx(this.#pager, this.#freelist, txid, this.#version.tables);
    let userBytes = 0;
    try {
      for (const w of group) {
        for (const op of w.ops) {
          if (op.type === 'put') {
            tx.put(op.table, op.key, op.value);
            userBytes += op.key.length + op.value.length;
          } else if (op.type === 'delete') {
            tx.delete(op.table, op.key);
            userBytes += op.key.length;
          } else {
            tx.deleteRange(op.table, op.start, op.end);
            userBytes += op.start.length + op.end.length;
          }
        }
      }
    } catch (err) {
      return rejectAll(err);
    }

    // Write it. From here a failure leaves the file unknown: fail-stop.
    let meta: Meta;
    let tables: Map<string, TableRoot>;
    const fl = this.#freelist;
    const before = this.#pagesWritten();
    try {
      this.#lastTxid = txid;
      tables = tx.commit();
      for (const [pgid, span, birth] of tx.freed()) fl.free(txid, pgid, span, birth);
      const old = this.#meta;
      fl.free(txid, old.catalog.pgid, old.catalog.span, old.catalog.txid);
      fl.free(txid, old.freelist.pgid, old.freelist.span, old.freelist.txid);
      const ps = this.#pager.pageSize;
      const checksum = this.#pager.checksum;
      const catalogPayload = encodeCatalog(tables);
      const catalogSpan = blobSpan(catalogPayload.length, ps);
      const catalog: RunRef = { pgid: fl.allocate(catalogSpan), span: catalogSpan, txid };
      this.#pager.write(catalog.pgid, encodeBlob(PageType.Catalog, catalogPayload, catalog, ps, checksum), 'catalog');
      // Allocating the freelist's own run only removes ids, so the list can only shrink.
      const ids = fl.persisted();
      const freeSpan = blobSpan(freelistSize(ids), ps);
      const freePgid = fl.allocate(freeSpan);
      const freelist: RunRef = { pgid: freePgid, span: freeSpan, txid };
      const listed = ids.filter((id) => id < freePgid || id >= freePgid + freeSpan);
      this.#pager.write(freelist.pgid, encodeBlob(PageType.Freelist, encodeFreelist(listed), freelist, ps, checksum), 'freelist');
      // The last txid of the lease extends it; that commit syncs (below) before any higher txid is used.
      const txidLease = txid >= this.#lease ? txid + TXID_LEASE : this.#lease;
      meta = { slot: this.#nextSlot(), txid, pageSize: ps, pageCount: fl.pageCount, durableTxid: this.#durableTxid, catalog, freelist, txidLease };
      this.#pager.write(meta.slot, encodeMeta(meta, checksum), 'meta');
      this.#slotTxid[meta.slot] = txid;
    } catch (err) {
      this.#failStop(err);
      return rejectAll(err);
    }
    this.#meta = meta;
    this.#counters.commits++;
    this.#counters.batches += group.length;
    this.#counters.userBytes += userBytes;
    this.#unsyncedBytes += (this.#pagesWritten() - before) * this.#pager.pageSize;
    const autoSync = !wantsSync && (this.#unsyncedBytes >= this.#opts.syncEveryBytes || meta.txidLease > this.#lease);
    if (wantsSync || autoSync) {
      if (autoSync) this.#counters.autoSyncs++;
      try {
        await this.#syncFile();
      } catch (err) {
        return rejectAll(err);
      }
    }
    this.#version = new Version(txid, tables);
    this.#releasePages();
    for (const w of group) w.resolve();
  }

  /** The slot for the next meta: neither the durable one nor the last one written (which may be the newest acknowledged). */
  #nextSlot(): number {
    for (let slot = 0; slot < META_SLOTS; slot++) if (slot !== this.#durableSlot && slot !== this.#meta.slot) return slot;
    throw new Error('unreachable: three slots, two excluded');
  }

  #pagesWritten(): number {
    const p = this.#pager.counters.pagesWritten;
    return p.leaf + p.branch + p.overflow + p.catalog + p.freelist + p.meta;
  }

  /** fdatasyncs the file: every commit written so far becomes durable. Fail-stop on error. */
  async #syncFile(): Promise<void> {
    const meta = this.#meta;
    try {
      await ioAsync(`syncing ${this.#pager.path}`, () => this.#file.datasync());
    } catch (err) {
      this.#failStop(err);
      throw err;
    }
    this.#counters.syncs++;
    this.#durableTxid = meta.txid;
    this.#durableSlot = meta.slot;
    this.#lease = meta.txidLease;
    this.#unsyncedBytes = 0;
    this.#releasePages();
  }

  // ---- lifecycle ----

  /**
   * Waits for queued writes, makes everything durable and, if the engine is
   * healthy, writes the final meta into every slot, the durable one last (so
   * one damaged slot cannot roll a cleanly closed file back), then releases
   * the file and lock.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
    let error: Error | undefined;
    if (this.#failure === undefined) {
      try {
        const m = this.#meta;
        await this.#syncFile();
        const txid = this.#lastTxid + 1;
        this.#lastTxid = txid;
        const durable = this.#durableSlot;
        const order = [0, 1, 2].filter((s) => s !== durable);
        for (const slots of [order, [durable]]) {
          for (const slot of slots) {
            const meta: Meta = { ...m, slot, txid, durableTxid: txid, txidLease: Math.max(this.#lease, txid) };
            this.#pager.write(slot, encodeMeta(meta, this.#pager.checksum), 'meta');
            this.#slotTxid[slot] = txid;
            this.#meta = meta;
          }
          await this.#syncFile();
        }
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
    }
    this.#closed = true;
    this.#file.close();
    this.#lock.release();
    this.#pager.cache.clear();
    if (error !== undefined) throw error;
  }

  // ---- introspection ----

  /** Counters, sizes and amplification figures (see stats.ts). */
  stats(): BtreeStats {
    this.#checkOpen();
    return buildStats({
      pager: this.#pager,
      version: this.#version,
      declared: this.tables,
      fileBytes: io(`sizing ${this.#pager.path}`, () => this.#file.size()),
      freelist: this.#freelist,
      readers: this.#readers.count,
      durableTxid: this.#durableTxid,
      engine: this.#counters,
      lookups: this.#lookups,
    });
  }

  /**
   * Checks the current version from the file up (see check.ts): checksums,
   * key order, uniform depth, page ownership and the catalog's counts.
   * Waits for writes in flight first. Rejects with Corruption on the first
   * problem; resolves to the pages reachable and each table's depth.
   */
  async verify(): Promise<CheckReport> {
    this.#checkOpen();
    while (this.#committing !== undefined) await this.#committing;
    this.#checkOpen();
    // After a failed commit the last meta written was never published; the file's state is unknown.
    if (this.#failure !== undefined) throw this.#failure;
    const m = this.#meta;
    const reserved: [number, number][] = [
      [m.catalog.pgid, m.catalog.span],
      [m.freelist.pgid, m.freelist.span],
    ];
    return checkVersion(this.#pager, this.#version.tables, reserved, this.#freelist.persisted(), this.#freelist.pageCount);
  }

  /** The directory and filesystem, for tools. */
  get location(): { readonly fs: FileSystem; readonly dir: string } {
    return { fs: this.#fs, dir: this.#dir };
  }
}
