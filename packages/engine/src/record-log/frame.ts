// Encodes one record as a frame (docs/format/record-log.md):
//   length u32le | payload xxh32 u32le | header xxh32 u32le | payload
// The header checksum covers the first 8 bytes, so a damaged length is
// caught before it is trusted.

import type { Checksum } from '../checksum.js';
import { HEADER_SEED, HEADER_SIZE, MAX_PAYLOAD } from './format.js';

export function encodeFrame(payload: Uint8Array, checksum: Checksum): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`record payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, checksum.xxh32(payload), true);
  view.setUint32(8, checksum.xxh32(out.subarray(0, 8), HEADER_SEED), true);
  out.set(payload, HEADER_SIZE);
  return out;
}
