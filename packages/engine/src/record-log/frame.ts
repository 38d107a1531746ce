// Encodes one record as a frame (docs/format/record-log.md):
//   length u32le | payload xxh32 u32le | header xxh32 u32le | payload
// The header checksum covers the first 8 bytes, so a damaged length is
// caught before it is trusted.

import type { Checksum } from '../checksum.js';
import { HEADER_SEED, HEADER_SIZE, MAX_PAYLOAD } from './format.js';

export function encodeFrame(payload: Uint8Array, checksum: Checksum): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  out.set(payload, HEADER_SIZE);
  sealFrame(out, checksum);
  return out;
}

/**
 * Fills in the header of `frame` in place: its first HEADER_SIZE bytes are
 * reserved and the rest is the payload. Lets writers build a frame without
 * copying the payload.
 */
export function sealFrame(frame: Uint8Array, checksum: Checksum): void {
  const length = frame.length - HEADER_SIZE;
  if (length < 0) throw new RangeError('a frame needs room for its header');
  if (length > MAX_PAYLOAD) throw new RangeError(`record payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  const view = new DataView(frame.buffer, frame.byteOffset, HEADER_SIZE);
  view.setUint32(0, length, true);
  view.setUint32(4, checksum.xxh32(frame.subarray(HEADER_SIZE)), true);
  view.setUint32(8, checksum.xxh32(frame.subarray(0, 8), HEADER_SEED), true);
}
