// The log that makes a MemoryEngine durable: one file mem-NNNNNN.log at a
// time in the engine's directory, holding a checkpoint of every table and
// then every batch written since (docs/format/memory-log.md). When the file
// outgrows its checkpoint it is rewritten: a new file gets a fresh
// checkpoint, is synced and its name made durable, and only then replaces the
// old one. Recovery picks the newest file with a complete checkpoint.
//
// Not safe for concurrent use: the engine's group-commit leader is the only
// caller of append, datasync and checkpoint, one at a time.

import type { File, FileLock, FileSystem } from '@strata/vfs';
import { posix } from 'node:path';
import type { Checksum } from '../checksum.js';
import { DecodeError } from '../codec.js';
import { Corruption } from '../errors.js';
import { io, ioAsync, readWholeFile } from '../io.js';
import { HEADER_SIZE } from '../record-log/format.js';
import { encodeFrame } from '../record-log/frame.js';
import { scanFrames } from '../record-log/scan.js';
import { decodeRecord, encodeCheckpointEnd, encodeHeader, LOG_VERSION, type LogRecord } from './log-records.js';

const LOG_NAME = /^mem-(\d{6,})\.log$/;

function logName(n: number): string {
  return `mem-${String(n).padStart(6, '0')}.log`;
}

export interface DurableLogOptions {
  /** Rewrite the log once it exceeds this many bytes and four times its checkpoint. */
  readonly checkpointMinBytes: number;
}

/** What recovery found: the checkpoint's records, then the batches after it, in order. */
export interface Recovered {
  readonly checkpoint: readonly LogRecord[];
  readonly seq: number;
  readonly batches: readonly LogRecord[];
}

export class DurableLog {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #checksum: Checksum;
  readonly #options: DurableLogOptions;
  readonly #lock: FileLock;
  #file: File;
  #number: number;
  #checkpointBytes: number;

  private constructor(
    fs: FileSystem,
    dir: string,
    checksum: Checksum,
    options: DurableLogOptions,
    lock: FileLock,
    file: File,
    number: number,
    checkpointBytes: number,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#checksum = checksum;
    this.#options = options;
    this.#lock = lock;
    this.#file = file;
    this.#number = number;
    this.#checkpointBytes = checkpointBytes;
  }

  /** Locks `dir`, recovers its newest complete log (creating one if there is none) and opens it for appending. */
  static async open(
    fs: FileSystem,
    dir: string,
    checksum: Checksum,
    options: DurableLogOptions,
    initialTables: readonly string[],
  ): Promise<{ log: DurableLog; recovered: Recovered }> {
    if (!fs.exists(dir)) {
      io(`creating ${dir}`, () => fs.mkdir(dir, { recursive: true }));
      await ioAsync(`syncing ${posix.dirname(dir)}`, () => fs.syncDir(posix.dirname(dir)));
    }
    const lock = io(`locking ${dir}`, () => fs.lock(posix.join(dir, 'LOCK')));
    try {
      return await DurableLog.#recover(fs, dir, checksum, options, lock, initialTables);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  static async #recover(
    fs: FileSystem,
    dir: string,
    checksum: Checksum,
    options: DurableLogOptions,
    lock: FileLock,
    initialTables: readonly string[],
  ): Promise<{ log: DurableLog; recovered: Recovered }> {
    const numbers = io(`listing ${dir}`, () => fs.list(dir))
      .map((name) => LOG_NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);

    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i] as number;
      const path = posix.join(dir, logName(n));
      const data = readWholeFile(fs, path);
      const scan = scanFrames(data, checksum);
      if (scan.tail.kind === 'corrupt') throw new Corruption(path, scan.tail.offset, scan.tail.reason);
      const parsed = parseLog(path, scan.frames);
      if (parsed === undefined) {
        // No complete checkpoint (parseLog refuses batches before one), and no
        // valid frame after the damage: a rewrite, or the database's creation,
        // crashed before it finished. Nothing was ever appended to this file.
        if (i + 1 < numbers.length || n === 1) {
          io(`removing abandoned ${path}`, () => fs.remove(path));
          await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
          if (i + 1 < numbers.length) continue;
          break; // an interrupted creation: start afresh below
        }
        throw new Corruption(path, scan.end, 'log has no complete checkpoint and no predecessor');
      }
      const file = io(`opening ${path}`, () => fs.open(path, { writable: true }));
      try {
        if (scan.tail.kind === 'torn') {
          io(`truncating torn tail of ${path}`, () => file.truncate(scan.end));
          await ioAsync(`syncing ${path}`, () => file.datasync());
        }
        // Older files are leftovers of a rewrite that finished: the newest holds everything.
        for (const older of numbers.slice(i + 1)) io('removing old log', () => fs.remove(posix.join(dir, logName(older))));
        if (i + 1 < numbers.length) await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
      } catch (err) {
        file.close();
        throw err;
      }
      const log = new DurableLog(fs, dir, checksum, options, lock, file, n, parsed.checkpointBytes);
      return { log, recovered: parsed.recovered };
    }

    // A new database: an empty checkpoint in log 1, durable before open returns.
    const path = posix.join(dir, logName(1));
    const file = io(`creating ${path}`, () => fs.create(path));
    const records = [encodeHeader(), encodeCheckpointEnd(0, initialTables)];
    try {
      io(`writing ${path}`, () => file.append(concat(records.map((r) => encodeFrame(r, checksum)))));
      await ioAsync(`syncing ${path}`, () => file.datasync());
      await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
    } catch (err) {
      file.close();
      throw err;
    }
    const log = new DurableLog(fs, dir, checksum, options, lock, file, 1, file.size());
    return { log, recovered: { checkpoint: [], seq: 0, batches: [] } };
  }

  /** The current log file's path. */
  get path(): string {
    return posix.join(this.#dir, logName(this.#number));
  }

  /** Frames `payloads` and appends them in one write; they reach the OS before this returns. */
  append(payloads: readonly Uint8Array[]): void {
    if (payloads.length === 0) return;
    const bytes = concat(payloads.map((p) => encodeFrame(p, this.#checksum)));
    io(`appending to ${this.path}`, () => this.#file.append(bytes));
  }

  /** Makes everything appended so far durable. */
  datasync(): Promise<void> {
    return ioAsync(`syncing ${this.path}`, () => this.#file.datasync());
  }

  /** True once the file has grown enough that rewriting it pays off. */
  shouldCheckpoint(): boolean {
    const size = this.#file.size();
    return size > this.#options.checkpointMinBytes && size > 4 * this.#checkpointBytes;
  }

  /**
   * Rewrites the log as `checkpoint` (the records of a full checkpoint, ending
   * with checkpointEnd) in a new file, and switches to it once it is durable.
   */
  async checkpoint(checkpoint: Iterable<Uint8Array>): Promise<void> {
    const next = this.#number + 1;
    const path = posix.join(this.#dir, logName(next));
    const file = io(`creating ${path}`, () => this.#fs.create(path));
    try {
      io(`writing ${path}`, () => file.append(encodeFrame(encodeHeader(), this.#checksum)));
      for (const record of checkpoint) io(`writing ${path}`, () => file.append(encodeFrame(record, this.#checksum)));
      await ioAsync(`syncing ${path}`, () => file.datasync());
      await ioAsync(`syncing ${this.#dir}`, () => this.#fs.syncDir(this.#dir));
    } catch (err) {
      file.close();
      throw err;
    }
    const old = this.#file;
    const oldPath = this.path;
    this.#file = file;
    this.#number = next;
    this.#checkpointBytes = file.size();
    old.close();
    // The new log is complete and durable, so recovery already prefers it;
    // failing to remove the old one only leaves a file the next open deletes.
    try {
      this.#fs.remove(oldPath);
      await this.#fs.syncDir(this.#dir);
    } catch {
      // See above: harmless.
    }
  }

  /** Closes the file and releases the directory lock. */
  close(): void {
    this.#file.close();
    this.#lock.release();
  }
}

/** Splits a log's frames into checkpoint and batches; undefined if the checkpoint is incomplete. */
function parseLog(
  path: string,
  frames: readonly { offset: number; payload: Uint8Array }[],
): { recovered: Recovered; checkpointBytes: number } | undefined {
  const checkpoint: LogRecord[] = [];
  const batches: LogRecord[] = [];
  let seq = -1;
  let checkpointBytes = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as { offset: number; payload: Uint8Array };
    let record: LogRecord;
    try {
      record = decodeRecord(frame.payload);
    } catch (err) {
      if (err instanceof DecodeError) throw new Corruption(path, frame.offset, `malformed record: ${err.message}`);
      throw err;
    }
    const where = (msg: string): Corruption => new Corruption(path, frame.offset, msg);
    if (i === 0) {
      if (record.kind !== 'header') throw where('log does not start with a header');
      if (record.version !== LOG_VERSION) throw where(`unsupported log version ${record.version}`);
      continue;
    }
    if (seq < 0) {
      if (record.kind === 'tableChunk') checkpoint.push(record);
      else if (record.kind === 'checkpointEnd') {
        checkpoint.push(record);
        seq = record.seq;
        checkpointBytes = frame.offset + HEADER_SIZE + frame.payload.length;
      } else throw where(`unexpected ${record.kind} record inside the checkpoint`);
    } else if (record.kind === 'batch') {
      batches.push(record);
    } else {
      throw where(`unexpected ${record.kind} record after the checkpoint`);
    }
  }
  if (seq < 0) return undefined;
  return { recovered: { checkpoint, seq, batches }, checkpointBytes };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
