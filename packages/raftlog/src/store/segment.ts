// Segment files (docs/format/raftlog.md, "Segments"): naming, creating and
// appending, scanning one whole file at open, and reading one frame back by
// offset. Frames are the shared record-log frames of @strata/engine.

import { checkFrame, Corruption, frameLength, io, ioAsync, readWholeFile, RECORD_HEADER_SIZE, scanFrames, sealFrame, type Checksum, type ReadBuffer, type Frame, type LogTail } from '@strata/engine';
import type { File, FileSystem } from '@strata/vfs';
import { SEGMENT_HEADER_SIZE, SEGMENT_SUFFIX } from '../format/format.js';
import { checkSegmentHeader, encodeSegmentHeader } from '../format/segment-header.js';

const NAME = /^(\d{16})\.rlog$/;

export function segmentName(number: number): string {
  return `${String(number).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** Segment numbers in `dir`, ascending; other files are ignored. */
export function listSegments(fs: FileSystem, dir: string): number[] {
  const out: number[] = [];
  for (const name of io(`listing ${dir}`, () => fs.list(dir))) {
    const m = NAME.exec(name);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** The segment being appended to. Not safe for concurrent use: the store's committer owns it. */
export class SegmentWriter {
  readonly number: number;
  readonly path: string;
  readonly #file: File;
  #size: number;

  private constructor(number: number, path: string, file: File, size: number) {
    this.number = number;
    this.path = path;
    this.#file = file;
    this.#size = size;
  }

  /**
   * Creates segment `number` with its header, recording purge floor `floor`
   * (the caller syncs the directory before relying on it). `replace` starts
   * over a segment whose creation a crash interrupted.
   */
  static create(fs: FileSystem, dir: string, number: number, floor: number, checksum: Checksum, replace = false): SegmentWriter {
    const path = `${dir}/${segmentName(number)}`;
    const file = io(`creating ${path}`, () => fs.create(path, { exclusive: !replace }));
    const w = new SegmentWriter(number, path, file, 0);
    try {
      w.#write(encodeSegmentHeader(number, floor, checksum));
    } catch (err) {
      file.close();
      throw err;
    }
    return w;
  }

  /** Reopens segment `number` to append after `end`, cutting anything past it (a torn tail). */
  static reopen(fs: FileSystem, dir: string, number: number, end: number): SegmentWriter {
    const path = `${dir}/${segmentName(number)}`;
    const file = io(`opening ${path}`, () => fs.open(path, { writable: true }));
    if (io(`sizing ${path}`, () => file.size()) !== end) io(`truncating ${path}`, () => file.truncate(end));
    return new SegmentWriter(number, path, file, end);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends a frame whose first RECORD_HEADER_SIZE bytes are reserved and the
   * rest is the payload (as encodeFrame lays it out), sealing it in place; returns
   * the frame's offset.
   */
  appendFrame(frame: Uint8Array, checksum: Checksum): number {
    const at = this.#size;
    sealFrame(frame, checksum);
    this.#write(frame);
    return at;
  }

  #write(bytes: Uint8Array): void {
    io(`appending to ${this.path}`, () => this.#file.append(bytes));
    this.#size += bytes.length;
  }

  /** Makes the file's bytes durable, and its size after reopen() cut it. */
  datasync(): Promise<void> {
    return ioAsync(`syncing ${this.path}`, () => this.#file.datasync());
  }

  close(): void {
    this.#file.close();
  }
}

/** What a segment holds, as found at open. */
export interface ScannedSegment {
  readonly number: number;
  readonly path: string;
  /** False for a segment whose header a crash left unwritten (all zeros, or cut short). */
  readonly started: boolean;
  /** The purge floor its header records (0 if not started). */
  readonly floor: number;
  readonly frames: readonly Frame[];
  /** Offset just past the last good frame. */
  readonly end: number;
  readonly tail: LogTail;
}

/**
 * Reads segment `number` whole and classifies its frames; a bad header is
 * Corruption. With `scratch`, the bytes are read into it (grown if needed)
 * and the frames' payloads are views into it, valid until its next use.
 */
export function scanSegment(fs: FileSystem, dir: string, number: number, checksum: Checksum, scratch?: ReadBuffer): ScannedSegment {
  const path = `${dir}/${segmentName(number)}`;
  const data = readWholeFile(fs, path, scratch);
  const header = checkSegmentHeader(data, number, checksum, path);
  if (header === 'incomplete') {
    return { number, path, started: false, floor: 0, frames: [], end: 0, tail: data.length === 0 ? { kind: 'clean' } : { kind: 'torn', offset: 0, reason: 'segment header never completely written' } };
  }
  const scan = scanFrames(data, checksum, SEGMENT_HEADER_SIZE);
  return { number, path, started: true, floor: header.floor, frames: scan.frames, end: scan.end, tail: scan.tail };
}

/** The purge floor in segment `number`'s header, or undefined if the header is missing or bad (the full scan reports why). */
export function readSegmentFloor(fs: FileSystem, dir: string, number: number, checksum: Checksum): number | undefined {
  const path = `${dir}/${segmentName(number)}`;
  const f = io(`opening ${path}`, () => fs.open(path));
  try {
    const head = io(`reading ${path}`, () => f.read(0, SEGMENT_HEADER_SIZE));
    const h = checkSegmentHeader(head, number, checksum, path);
    return h === 'incomplete' ? undefined : h.floor;
  } catch (err) {
    if (err instanceof Corruption) return undefined;
    throw err;
  } finally {
    f.close();
  }
}

/** Reads back the payload of the frame at `offset` of an open segment file, checking both checksums. */
export function readFrame(file: File, path: string, offset: number, checksum: Checksum): Uint8Array {
  const header = io(`reading ${path}`, () => file.read(offset, RECORD_HEADER_SIZE));
  const length = frameLength(header, checksum);
  if (length === undefined) throw new Corruption(path, offset, 'frame header checksum mismatch');
  const frame = io(`reading ${path}`, () => file.read(offset, RECORD_HEADER_SIZE + length));
  const end = checkFrame(frame, 0, checksum);
  if (typeof end === 'string') throw new Corruption(path, offset, end);
  return frame.subarray(RECORD_HEADER_SIZE);
}
