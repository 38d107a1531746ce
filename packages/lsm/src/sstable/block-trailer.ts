// Sealing and opening stored blocks (docs/format/sstable.md,
// "Layout"): every block on disk is its (maybe compressed) payload, one byte
// of compression type and the xxh32 of payload and type. Opening checks the
// checksum before it decompresses anything.

import type { Checksum } from '@strata/engine';
import { Corruption } from '@strata/engine';
import { compressBlock, decompressBlock, DecompressError, type CompressionName } from './compression.js';
import { BLOCK_CHECKSUM_SEED, BLOCK_TRAILER_SIZE, type CompressionType } from './format.js';

export interface SealedBlock {
  /** Payload, type byte and checksum, ready to append. */
  readonly bytes: Uint8Array;
  /** Stored payload size (the handle's size). */
  readonly size: number;
  readonly type: CompressionType;
}

/** `raw` compressed if worthwhile, with its trailer. */
export function sealBlock(raw: Uint8Array, compression: CompressionName, checksum: Checksum): SealedBlock {
  const { type, bytes: payload } = compressBlock(raw, compression);
  const size = payload.length;
  const out = new Uint8Array(size + BLOCK_TRAILER_SIZE);
  out.set(payload);
  out[size] = type;
  const sum = checksum.xxh32(out.subarray(0, size + 1), BLOCK_CHECKSUM_SEED);
  new DataView(out.buffer).setUint32(size + 1, sum, true);
  return { bytes: out, size, type };
}

/**
 * The raw payload of a stored block: `stored` is the payload and trailer as
 * read from `offset` of `file`. Corruption if the checksum does not match or
 * the payload does not decompress.
 */
export function unsealBlock(stored: Uint8Array, checksum: Checksum, file: string, offset: number): Uint8Array {
  const size = stored.length - BLOCK_TRAILER_SIZE;
  if (size < 0) throw new Corruption(file, offset, `block of ${stored.length} bytes has no trailer`);
  const want = ((stored[size + 1] as number) | ((stored[size + 2] as number) << 8) | ((stored[size + 3] as number) << 16) | ((stored[size + 4] as number) << 24)) >>> 0;
  const got = checksum.xxh32(stored.subarray(0, size + 1), BLOCK_CHECKSUM_SEED);
  if (want !== got) throw new Corruption(file, offset, `block checksum ${want.toString(16)} does not match ${got.toString(16)}`);
  try {
    return decompressBlock(stored[size] as number, stored.subarray(0, size));
  } catch (err) {
    if (err instanceof DecompressError) throw new Corruption(file, offset, `block: ${err.message}`);
    throw err;
  }
}
