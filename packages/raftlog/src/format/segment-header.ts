// The 24-byte header at the start of every segment file
// (docs/format/raftlog.md, "Segments"): it names the format and version and
// the segment's own number, so a file renamed or copied to the wrong place is
// caught; it records the purge floor in force when the segment was created
// (segments below it are garbage); and it carries its own checksum.

import { Corruption, type Checksum } from '@strata/engine';
import { SEGMENT_HEADER_SEED, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, SEGMENT_VERSION } from './format.js';

const TWO_32 = 2 ** 32;

/** Segment numbers and floors fit a u32 floor field. */
export const MAX_SEGMENT_NUMBER = 0xffff_ffff;

export function encodeSegmentHeader(number: number, floor: number, checksum: Checksum): Uint8Array {
  if (!(floor >= 1 && floor <= number && number <= MAX_SEGMENT_NUMBER)) throw new RangeError(`segment ${number} with floor ${floor}`);
  const out = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint32(4, SEGMENT_VERSION, true);
  view.setUint32(8, number >>> 0, true);
  view.setUint32(12, Math.floor(number / TWO_32), true);
  view.setUint32(16, floor, true);
  view.setUint32(20, checksum.xxh32(out.subarray(0, 20), SEGMENT_HEADER_SEED), true);
  return out;
}

/**
 * Checks the header of segment `number` in `file` and returns its purge
 * floor. A header cut short, or all zeros, is 'incomplete': a crash
 * interrupted the segment's creation (the store accepts that only of its
 * newest segment). Anything else that does not check out is Corruption.
 */
export function checkSegmentHeader(data: Uint8Array, number: number, checksum: Checksum, file: string): { readonly floor: number } | 'incomplete' {
  if (data.length < SEGMENT_HEADER_SIZE) return 'incomplete';
  const head = data.subarray(0, SEGMENT_HEADER_SIZE);
  if (head.every((b) => b === 0)) return 'incomplete';
  const view = new DataView(head.buffer, head.byteOffset, SEGMENT_HEADER_SIZE);
  if (checksum.xxh32(head.subarray(0, 20), SEGMENT_HEADER_SEED) !== view.getUint32(20, true)) {
    throw new Corruption(file, 0, 'segment header checksum mismatch');
  }
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) throw new Corruption(file, 0, 'not a Strata raft log segment (bad magic)');
  const version = view.getUint32(4, true);
  if (version !== SEGMENT_VERSION) throw new Corruption(file, 4, `segment version ${version}; this build reads ${SEGMENT_VERSION}`);
  const stored = view.getUint32(8, true) + view.getUint32(12, true) * TWO_32;
  if (stored !== number) throw new Corruption(file, 8, `segment header says number ${stored}, the file name ${number}`);
  const floor = view.getUint32(16, true);
  if (floor < 1 || floor > number) throw new Corruption(file, 16, `purge floor ${floor} of segment ${number}`);
  return { floor };
}
