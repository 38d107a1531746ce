// lz4 for engine blocks and log batches, through lz4-wasm-nodejs. Its output
// starts with the decoded size (u32le). Data is stored compressed only when
// that saves at least an eighth of its bytes. Decompression runs on bytes
// whose checksum already matched, and still checks the decoded size, because
// lz4-wasm throws strings or returns garbage on bad input.

import { compress, decompress } from 'lz4-wasm-nodejs';

/** Bytes of the decoded-size prefix lz4-wasm writes. */
export const LZ4_SIZE_PREFIX = 4;
/** Largest decoded size accepted: lz4 cannot expand data more than ~255 times. */
const MAX_EXPANSION = 255;

/** Thrown for bytes that do not decompress; readers report it as Corruption. */
export class DecompressError extends Error {}

/** `raw` compressed, if it is at least 64 bytes and that saves an eighth; otherwise undefined. */
export function lz4IfSmaller(raw: Uint8Array): Uint8Array | undefined {
  if (raw.length < 64) return undefined;
  const out = compress(raw);
  return out.length <= raw.length - raw.length / 8 ? out : undefined;
}

/** Decompresses what lz4IfSmaller produced. */
export function lz4Decompress(bytes: Uint8Array): Uint8Array {
  if (bytes.length < LZ4_SIZE_PREFIX) throw new DecompressError(`lz4 payload of ${bytes.length} bytes has no size`);
  const declared = ((bytes[0] as number) | ((bytes[1] as number) << 8) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 24)) >>> 0;
  if (declared > MAX_EXPANSION * bytes.length) throw new DecompressError(`lz4 payload of ${bytes.length} bytes claims ${declared} decoded bytes`);
  let out: Uint8Array;
  try {
    out = decompress(bytes);
  } catch (err) {
    throw new DecompressError(`lz4: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (out.length !== declared) throw new DecompressError(`lz4 decoded ${out.length} bytes, expected ${declared}`);
  return out;
}
