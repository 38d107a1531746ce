// The Raft log store: many Raft groups' logs, hard states and small
// key/values in one append-only stream of segment files.
//
// Writes: write() checks a batch against every write accepted before it
// (accepted-shape.ts), encodes it, and queues it. One committer drains the
// queue: each turn takes every queued write as a commit group, appends their
// batches as one frame (so the group is atomic, and compressed as a whole),
// runs at most one fdatasync for the group (if any writer asked for sync),
// then applies the batches to memory in order and resolves the writers. Writes queued while a sync is in flight form the next
// group. Purge runs on the same committer, between groups.
//
// Reads are synchronous: recent entries come from a cache of frame bodies,
// older ones from their segment file through the group's entry index.
//
// Raft's Storage maps onto it group by group: initial state from
// hardState(g) (the membership in a key), entries(g, lo, hi, maxBytes),
// term(g, i), firstIndex(g) and lastIndex(g), with Compacted and Unavailable
// as Storage reports them; snapshot metadata (and the term at firstIndex − 1)
// live in keys, and installing a snapshot is a batch with reset() and put().
//
// Interleaving: a read sees the batches applied so far. A synced write's
// batch is applied (visible) only after its sync; an unsynced one right after
// its append. After a failed write or sync the store fails stop: every later
// write and purge is refused with that error (reads still answer from what
// was applied); reopen to recover.

import { Closed, Corruption, DecodeError, InvalidArgument, IoError, io, ioAsync, isEngineError, loadChecksum, RECORD_MAX_PAYLOAD, type Checksum, type EngineError } from '@strata/engine';
import { posix } from 'node:path';
import type { File, FileLock, FileSystem } from '@strata/vfs';
import { decodeBatch, encodeFrame, FRAME_OVERHEAD, LogBatch, type BatchSnapshot, type Entry, type HardState } from '../format/log-batch.js';
import { Compacted, Unavailable } from '../errors.js';
import { acceptItem, emptyShape, type Shape } from './accepted-shape.js';
import { BodyCache } from './body-cache.js';
import { GroupState, keyString } from './group-state.js';
import { resolveOptions, type RaftLogOptions, type ResolvedOptions } from './options.js';
import { recover, type RecoveryReport } from './recovery.js';
import { listSegments, readFrame, segmentName, SegmentWriter } from './segment.js';

export interface WriteOptions {
  /** Wait until the batch is durable (fdatasync). Default false. */
  readonly sync?: boolean;
}

export interface PurgeResult {
  /** Segment numbers deleted. */
  readonly removed: readonly number[];
  /** Groups whose entries are in the oldest segment still kept (not the active one): compact them to let it go. */
  readonly holdingBack: readonly number[];
}

export interface RaftLogStats {
  /** First live segment (the purge floor) and the active one. */
  readonly firstSegment: number;
  readonly activeSegment: number;
  /** Frame bytes appended since open, headers included. */
  readonly bytesWritten: number;
  /** Entry data and key/value bytes of the batches written since open. */
  readonly logicalBytes: number;
  readonly batches: number;
  readonly commitGroups: number;
  readonly fsyncs: number;
  readonly groups: number;
  readonly entries: number;
  /** Bytes of the entry indexes' typed arrays and term runs. */
  readonly indexBytes: number;
  readonly cache: { readonly bytes: number; readonly hits: number; readonly misses: number };
  readonly recovery: RecoveryReport;
}

interface PendingWrite {
  readonly kind: 'write';
  /** Undefined for an empty batch (a sync barrier, or nothing). */
  readonly batch: BatchSnapshot | undefined;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface PendingTask {
  readonly kind: 'task';
  readonly run: () => Promise<void>;
  readonly reject: (err: unknown) => void;
}

type Pending = PendingWrite | PendingTask;

/** A commit group stops growing before its batches pass this many bytes, unless it holds one (frame offsets stay below 2^32). */
const MAX_GROUP_BYTES = 32 * 1024 * 1024;
const MAX_SEGMENT_SIZE = 2 ** 31;
const LOCK = 'LOCK';

function checkGroup(group: number): void {
  if (!Number.isSafeInteger(group) || group < 0) throw new InvalidArgument(`group must be a safe integer of at least 0, got ${String(group)}`);
}

function checkIndex(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgument(`${what} must be a safe integer of at least 0, got ${String(n)}`);
}

export class RaftLogStore {
  readonly dir: string;
  readonly #fs: FileSystem;
  readonly #opts: ResolvedOptions;
  readonly #checksum: Checksum;
  readonly #lock: FileLock;
  readonly #groups: Map<number, GroupState>;
  /** Per group, the shape after every accepted write (applied or queued). */
  readonly #accepted = new Map<number, Shape>();
  readonly #cache: BodyCache;
  readonly #readers = new Map<number, File>();
  readonly #recovery: RecoveryReport;
  #active: SegmentWriter;
  /** Segments below it are gone. Invariant: the active segment's header records it. */
  #floor: number;

  #queue: Pending[] = [];
  #leading = false;
  #leader: Promise<void> = Promise.resolve();
  #failed: EngineError | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  #bytesWritten = 0;
  #logicalBytes = 0;
  #batches = 0;
  #commitGroups = 0;
  #fsyncs = 0;

  private constructor(dir: string, opts: ResolvedOptions, checksum: Checksum, lock: FileLock, groups: Map<number, GroupState>, active: SegmentWriter, floor: number, recovery: RecoveryReport) {
    this.dir = dir;
    this.#fs = opts.fs;
    this.#opts = opts;
    this.#checksum = checksum;
    this.#lock = lock;
    this.#groups = groups;
    this.#active = active;
    this.#floor = floor;
    this.#recovery = recovery;
    this.#cache = new BodyCache(opts.cacheBytes);
  }

  /** Opens (creating if allowed) the store in `dir`, recovering what it holds; see RecoveryMode for damaged files. */
  static async open(dir: string, options: RaftLogOptions): Promise<RaftLogStore> {
    const opts = resolveOptions(options);
    if (opts.targetSegmentSize > MAX_SEGMENT_SIZE) throw new InvalidArgument(`option targetSegmentSize must be at most ${MAX_SEGMENT_SIZE}`);
    const fs = opts.fs;
    if (!io(`checking ${dir}`, () => fs.exists(dir))) {
      if (!opts.createIfMissing) throw new InvalidArgument(`${dir} does not exist (createIfMissing is false)`);
      io(`creating ${dir}`, () => fs.mkdir(dir, { recursive: true }));
      await ioAsync(`syncing ${posix.dirname(dir)}`, () => fs.syncDir(posix.dirname(dir)));
    }
    const checksum = await loadChecksum();
    const lock = io(`locking ${dir}`, () => fs.lock(`${dir}/${LOCK}`));
    try {
      const r = await recover(fs, dir, checksum, opts.recoveryMode);
      return new RaftLogStore(dir, opts, checksum, lock, r.groups, r.writer, r.floor, r.report);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  // ------------------------------------------------------------------ writes

  /**
   * Writes `batch` atomically: after a crash it is wholly present or wholly
   * absent, and wholly present if this resolved with `sync`. Refused with
   * InvalidArgument, before anything is written, if it would leave a gap in a
   * group's log, append below its first index, or move a hard state's term
   * back (or change the vote within a term).
   */
  write(batch: LogBatch, options?: WriteOptions): Promise<void> {
    let snapshot: BatchSnapshot | undefined;
    let sync: boolean;
    try {
      this.#checkWritable();
      if (!(batch instanceof LogBatch)) throw new InvalidArgument('write takes a LogBatch');
      sync = options?.sync ?? false;
      if (typeof sync !== 'boolean') throw new InvalidArgument('options.sync must be a boolean');
      if (batch.encodedBytes + FRAME_OVERHEAD > RECORD_MAX_PAYLOAD) throw new InvalidArgument(`batch of ${batch.encodedBytes} bytes exceeds ${RECORD_MAX_PAYLOAD - FRAME_OVERHEAD}`);
      snapshot = batch.isEmpty ? undefined : batch.snapshot();
      if (snapshot !== undefined) this.#accept(snapshot);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'write', batch: snapshot, sync, resolve, reject });
      this.#schedule();
    });
  }

  /** Checks every item against the shapes after the writes accepted so far, then moves the shapes on (all or nothing). */
  #accept(batch: BatchSnapshot): void {
    const next = new Map<number, Shape>();
    for (const item of batch.items) {
      let s = next.get(item.group);
      if (s === undefined) {
        s = { ...this.#shapeOf(item.group) };
        next.set(item.group, s);
      }
      acceptItem(s, item);
    }
    for (const [g, s] of next) this.#accepted.set(g, s);
  }

  #shapeOf(group: number): Shape {
    const known = this.#accepted.get(group);
    if (known !== undefined) return known;
    const g = this.#groups.get(group);
    if (g === undefined) return emptyShape();
    const hs = g.hardState;
    return { first: g.index.firstIndex, last: g.index.lastIndex, term: hs?.term ?? 0, vote: hs?.vote ?? 0 };
  }

  #schedule(): void {
    if (this.#leading) return;
    this.#leading = true;
    // Writes issued in the same tick join the first group.
    queueMicrotask(() => {
      this.#leader = this.#lead();
    });
  }

  async #lead(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        if (this.#failed !== undefined) {
          const failed = this.#failed;
          for (const p of this.#queue.splice(0)) p.reject(failed);
          break;
        }
        const head = this.#queue[0] as Pending;
        if (head.kind === 'task') {
          this.#queue.shift();
          await head.run();
          continue;
        }
        let n = 0;
        let bytes = 0;
        for (const p of this.#queue) {
          if (p.kind === 'task') break;
          const size = p.batch?.bytes.length ?? 0;
          if (n > 0 && bytes + size > MAX_GROUP_BYTES) break;
          bytes += size;
          n++;
        }
        await this.#commit(this.#queue.splice(0, n) as PendingWrite[]);
      }
    } finally {
      this.#leading = false;
    }
  }

  /** Appends a group's batches as one frame, syncs once if anyone asked, applies and resolves; on failure fails stop and rejects the group. */
  async #commit(group: readonly PendingWrite[]): Promise<void> {
    try {
      await this.#appendAndApply(group);
    } catch (err) {
      const e = this.#failStop(err);
      for (const p of group) p.reject(e);
      return;
    }
    for (const p of group) p.resolve();
  }

  async #appendAndApply(group: readonly PendingWrite[]): Promise<void> {
    if (this.#active.size >= this.#opts.targetSegmentSize) await this.#rotate(this.#floor);
    const seg = this.#active;
    const batches: BatchSnapshot[] = [];
    for (const p of group) if (p.batch !== undefined) batches.push(p.batch);
    const encoded = batches.length === 0 ? undefined : encodeFrame(batches);
    const frame = encoded === undefined ? 0 : seg.appendFrame(encoded.frame, this.#checksum);
    this.#bytesWritten += encoded?.frame.length ?? 0;
    if (group.some((p) => p.sync)) {
      await seg.datasync();
      this.#fsyncs++;
    }
    if (encoded !== undefined) {
      for (let i = 0; i < batches.length; i++) this.#apply(batches[i] as BatchSnapshot, seg.number, frame, encoded.starts[i] as number);
      this.#cache.put(seg.number, frame, encoded.body);
    }
    this.#batches += group.length;
    this.#commitGroups++;
  }

  /** Applies a written batch, whose items start `base` bytes into its frame's body, to the groups' state. */
  #apply(batch: BatchSnapshot, segment: number, frame: number, base: number): void {
    for (const item of batch.items) {
      let g = this.#groups.get(item.group);
      if (g === undefined) this.#groups.set(item.group, (g = new GroupState()));
      g.apply(item, segment, frame, base);
    }
    this.#logicalBytes += batch.dataBytes;
  }

  /** Seals the active segment (synced) and starts the next, whose header records `floor`. */
  async #rotate(floor: number): Promise<void> {
    const old = this.#active;
    await old.datasync();
    this.#fsyncs++;
    const next = SegmentWriter.create(this.#fs, this.dir, old.number + 1, floor, this.#checksum);
    this.#active = next;
    old.close();
    await ioAsync(`syncing ${this.dir}`, () => this.#fs.syncDir(this.dir));
  }

  #failStop(err: unknown): EngineError {
    const e = isEngineError(err) ? err : new IoError(`raft log write failed: ${err instanceof Error ? err.message : String(err)}`, err);
    this.#failed ??= e;
    return e;
  }

  #checkWritable(): void {
    if (this.#closed) throw new Closed('raft log store is closed');
    if (this.#failed !== undefined) throw this.#failed;
  }

  // ------------------------------------------------------------------ purge

  /**
   * Deletes the segments no group needs any more. State (hard states, keys)
   * still living in them, and every empty log's first index, is first
   * rewritten to the active segment and synced. Returns what went and the groups whose
   * entries hold back the oldest segment kept.
   */
  purge(): Promise<PurgeResult> {
    try {
      this.#checkWritable();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<PurgeResult>((resolve, reject) => {
      const run = async (): Promise<void> => {
        try {
          resolve(await this.#purgeNow());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      this.#queue.push({ kind: 'task', run, reject });
      this.#schedule();
    });
  }

  async #purgeNow(): Promise<PurgeResult> {
    if (this.#failed !== undefined) throw this.#failed;
    let cutoff = this.#active.number;
    for (const g of this.#groups.values()) cutoff = Math.min(cutoff, g.index.oldestSegment() ?? Infinity);
    if (cutoff <= this.#floor) return { removed: await this.#removeBelowFloor(), holdingBack: this.#holdingBack() };
    try {
      const rewrite = new LogBatch();
      for (const [id, g] of this.#groups) g.addRewriteTo(rewrite, id, g.oldestStateSegment() < cutoff);
      if (!rewrite.isEmpty) {
        // Applied through the normal path; the rotation below syncs it before the floor moves.
        await this.#appendAndApply([{ kind: 'write', batch: rewrite.snapshot(), sync: false, resolve: noop, reject: noop }]);
      }
      await this.#rotate(cutoff);
      await this.#active.datasync();
      this.#fsyncs++;
    } catch (err) {
      throw this.#failStop(err);
    }
    // The new floor is durable: from here a crash leaves at most leftovers that recovery deletes.
    this.#floor = cutoff;
    this.#cache.dropBelow(cutoff);
    return { removed: await this.#removeBelowFloor(), holdingBack: this.#holdingBack() };
  }

  /** Deletes every segment file below the floor, this purge's and any an earlier failed removal left; a failure is IoError, and the next purge (or open) tries again. */
  async #removeBelowFloor(): Promise<number[]> {
    const removed: number[] = [];
    let failure: Error | undefined;
    for (const n of listSegments(this.#fs, this.dir)) {
      if (n >= this.#floor) break;
      this.#readers.get(n)?.close();
      this.#readers.delete(n);
      const path = this.#segmentPath(n);
      try {
        io(`removing ${path}`, () => this.#fs.remove(path));
        removed.push(n);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (removed.length > 0) await ioAsync(`syncing ${this.dir}`, () => this.#fs.syncDir(this.dir));
    if (failure !== undefined) throw failure;
    return removed;
  }

  #holdingBack(): number[] {
    const out: number[] = [];
    if (this.#floor >= this.#active.number) return out;
    for (const [id, g] of this.#groups) if (g.index.oldestSegment() === this.#floor) out.push(id);
    return out.sort((a, b) => a - b);
  }

  // ------------------------------------------------------------------ reads

  /**
   * Entries [lo, hi) of `group`, stopping before the entry that would take
   * their data past `maxBytes` (the first entry is returned whatever its
   * size). Compacted if lo is below the first index, Unavailable if hi − 1
   * is past the last.
   */
  entries(group: number, lo: number, hi: number, maxBytes = Number.MAX_SAFE_INTEGER): Entry[] {
    this.#checkOpen();
    checkGroup(group);
    checkIndex('lo', lo);
    checkIndex('hi', hi);
    checkIndex('maxBytes', maxBytes);
    if (lo > hi) throw new InvalidArgument(`lo ${lo} is above hi ${hi}`);
    const index = this.#groups.get(group)?.index;
    const first = index?.firstIndex ?? 1;
    const last = index?.lastIndex ?? 0;
    if (lo < first) throw new Compacted(group, lo, first);
    if (hi > last + 1) throw new Unavailable(group, hi - 1, last);
    const out: Entry[] = [];
    if (index === undefined) return out;
    let bytes = 0;
    // Consecutive entries mostly share a batch: keep its body for the rest of the call.
    let body: Uint8Array | undefined;
    let bodySegment = -1;
    let bodyFrame = -1;
    for (let i = lo; i < hi; i++) {
      const loc = index.location(i);
      if (loc === undefined) throw new Unavailable(group, i, last);
      if (out.length > 0 && bytes + loc.length > maxBytes) break;
      if (body === undefined || loc.segment !== bodySegment || loc.frame !== bodyFrame) {
        body = this.#body(loc.segment, loc.frame);
        bodySegment = loc.segment;
        bodyFrame = loc.frame;
      }
      if (loc.offset + loc.length > body.length) throw new Corruption(this.#segmentPath(loc.segment), loc.frame, `entry ${i} of group ${group} lies outside its batch`);
      out.push({ index: i, term: index.term(i) as number, data: body.slice(loc.offset, loc.offset + loc.length) });
      bytes += loc.length;
    }
    return out;
  }

  /** The term of entry `index`: Compacted below the first index, Unavailable past the last. */
  term(group: number, index: number): number {
    this.#checkOpen();
    checkGroup(group);
    checkIndex('index', index);
    const idx = this.#groups.get(group)?.index;
    const first = idx?.firstIndex ?? 1;
    const last = idx?.lastIndex ?? 0;
    if (index < first) throw new Compacted(group, index, first);
    if (index > last || idx === undefined) throw new Unavailable(group, index, last);
    return idx.term(index) as number;
  }

  /** The first entry held, or where the next append starts when the log is empty (1 for a new group). */
  firstIndex(group: number): number {
    this.#checkOpen();
    checkGroup(group);
    return this.#groups.get(group)?.index.firstIndex ?? 1;
  }

  /** The last entry held, or firstIndex − 1 when the log is empty. */
  lastIndex(group: number): number {
    this.#checkOpen();
    checkGroup(group);
    return this.#groups.get(group)?.index.lastIndex ?? 0;
  }

  hardState(group: number): HardState | undefined {
    this.#checkOpen();
    checkGroup(group);
    const hs = this.#groups.get(group)?.hardState;
    return hs === undefined ? undefined : { ...hs };
  }

  get(group: number, key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    checkGroup(group);
    if (!(key instanceof Uint8Array)) throw new InvalidArgument('key must be a Uint8Array');
    return this.#groups.get(group)?.get(keyString(key))?.slice();
  }

  /** Ids of the groups the store has seen, ascending. */
  groupIds(): number[] {
    this.#checkOpen();
    return [...this.#groups.keys()].sort((a, b) => a - b);
  }

  stats(): RaftLogStats {
    let entries = 0;
    let indexBytes = 0;
    for (const g of this.#groups.values()) {
      entries += g.index.count;
      indexBytes += g.index.memoryBytes;
    }
    return {
      firstSegment: this.#floor,
      activeSegment: this.#active.number,
      bytesWritten: this.#bytesWritten,
      logicalBytes: this.#logicalBytes,
      batches: this.#batches,
      commitGroups: this.#commitGroups,
      fsyncs: this.#fsyncs,
      groups: this.#groups.size,
      entries,
      indexBytes,
      cache: { bytes: this.#cache.bytes, hits: this.#cache.hits, misses: this.#cache.misses },
      recovery: this.#recovery,
    };
  }

  #segmentPath(n: number): string {
    return `${this.dir}/${segmentName(n)}`;
  }

  /** The decoded body of the frame at `frame` of `segment`: from the cache, or read, checked and cached. */
  #body(segment: number, frame: number): Uint8Array {
    const cached = this.#cache.get(segment, frame);
    if (cached !== undefined) return cached;
    const path = this.#segmentPath(segment);
    let file = this.#readers.get(segment);
    if (file === undefined) {
      file = io(`opening ${path}`, () => this.#fs.open(path));
      this.#readers.set(segment, file);
    }
    const payload = readFrame(file, path, frame, this.#checksum);
    let body: Uint8Array;
    try {
      body = decodeBatch(payload).body;
    } catch (err) {
      if (err instanceof DecodeError) throw new Corruption(path, frame, `batch does not decode: ${err.message}`);
      throw err;
    }
    this.#cache.put(segment, frame, body);
    return body;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Closed('raft log store is closed');
  }

  // ------------------------------------------------------------------ close

  /** Waits for queued writes, syncs what they wrote, and releases the directory. Every call returns the same promise. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    while (this.#leading) await this.#leader;
    try {
      if (this.#failed === undefined) await this.#active.datasync();
    } finally {
      this.#active.close();
      for (const f of this.#readers.values()) f.close();
      this.#readers.clear();
      this.#lock.release();
    }
  }
}

function noop(): void {}
