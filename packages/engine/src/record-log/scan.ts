// Reads the frames of a record log and classifies what ends it. A log ends
// cleanly, in a torn tail (a crash cut the last append short: nothing valid
// follows the first bad frame), or in corruption (a bad frame with a valid
// frame somewhere after it, which no crash of an append-only writer can
// produce). Callers truncate a torn tail and report corruption.

import type { Checksum } from '../checksum.js';
import { HEADER_SEED, HEADER_SIZE } from './format.js';

export interface Frame {
  /** Offset of the frame's header in the file. */
  readonly offset: number;
  /** The payload, a view into the scanned buffer. */
  readonly payload: Uint8Array;
}

export type LogTail =
  | { readonly kind: 'clean' }
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

export interface FrameScan {
  readonly frames: readonly Frame[];
  /** Offset just past the last good frame. */
  readonly end: number;
  readonly tail: LogTail;
}

/** Why the frame at `offset` is bad, or its end offset if it is good. */
export function checkFrame(data: Uint8Array, offset: number, checksum: Checksum): number | string {
  if (data.length - offset < HEADER_SIZE) return 'incomplete frame header';
  const view = new DataView(data.buffer, data.byteOffset + offset, HEADER_SIZE);
  const length = view.getUint32(0, true);
  const headerSum = view.getUint32(8, true);
  if (checksum.xxh32(data.subarray(offset, offset + 8), HEADER_SEED) !== headerSum) return 'frame header checksum mismatch';
  const end = offset + HEADER_SIZE + length;
  if (end > data.length) return 'frame runs past the end of the file';
  if (checksum.xxh32(data.subarray(offset + HEADER_SIZE, end)) !== view.getUint32(4, true)) {
    return 'frame payload checksum mismatch';
  }
  return end;
}

/**
 * The payload length a frame header (its first HEADER_SIZE bytes) declares,
 * or undefined if the header checksum does not match: lets a reader fetch one
 * frame from a file by offset without trusting a damaged length.
 */
export function frameLength(header: Uint8Array, checksum: Checksum): number | undefined {
  if (header.length < HEADER_SIZE) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, HEADER_SIZE);
  if (checksum.xxh32(header.subarray(0, 8), HEADER_SEED) !== view.getUint32(8, true)) return undefined;
  return view.getUint32(0, true);
}

function validFrameAfter(data: Uint8Array, from: number, checksum: Checksum): boolean {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  for (let p = from; p + HEADER_SIZE <= data.length; p++) {
    // Cheap filter first: the length must fit in what is left.
    if (p + HEADER_SIZE + view.getUint32(p, true) > data.length) continue;
    if (typeof checkFrame(data, p, checksum) === 'number') return true;
  }
  return false;
}

/** Scans `data` (a whole log file) from `start`. */
export function scanFrames(data: Uint8Array, checksum: Checksum, start = 0): FrameScan {
  const frames: Frame[] = [];
  let offset = start;
  while (offset < data.length) {
    const result = checkFrame(data, offset, checksum);
    if (typeof result === 'string') {
      const tail: LogTail = validFrameAfter(data, offset + 1, checksum)
        ? { kind: 'corrupt', offset, reason: result }
        : { kind: 'torn', offset, reason: result };
      return { frames, end: offset, tail };
    }
    frames.push({ offset, payload: data.subarray(offset + HEADER_SIZE, result) });
    offset = result;
  }
  return { frames, end: offset, tail: { kind: 'clean' } };
}
