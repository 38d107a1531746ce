// Per-block compression (docs/format/sstable.md, "Layout"): lz4 when
// it saves at least 1/8 of the bytes, else the block is stored raw. lz4's
// output starts with the decoded size (u32le). Decompression runs only on
// blocks whose checksum already matched, and still checks the decoded size:
// lz4-wasm throws strings or returns garbage on bad input.

import { compress, decompress } from 'lz4-wasm-nodejs';
import { CompressionType, LZ4_SIZE_PREFIX } from './format.js';

export type CompressionName = 'lz4' | 'none';

/** Largest decoded block accepted: lz4 cannot expand data more than ~255 times. */
const MAX_EXPANSION = 255;

export interface Compressed {
  readonly type: CompressionType;
  /** The bytes to store: the compressed form, or `raw` itself. */
  readonly bytes: Uint8Array;
}

/** `raw` compressed with `name` if that saves at least 1/8 of its bytes, else raw. */
export function compressBlock(raw: Uint8Array, name: CompressionName): Compressed {
  if (name === 'lz4' && raw.length >= 64) {
    const out = compress(raw);
    if (out.length <= raw.length - raw.length / 8) return { type: CompressionType.Lz4, bytes: out };
  }
  return { type: CompressionType.None, bytes: raw };
}

/** Thrown for a payload that does not decode; the reader reports it as Corruption. */
export class DecompressError extends Error {}

/** The raw block stored as `bytes` with compression `type`. */
export function decompressBlock(type: number, bytes: Uint8Array): Uint8Array {
  switch (type as CompressionType) {
    case CompressionType.None:
      return bytes;
    case CompressionType.Lz4: {
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
    default:
      throw new DecompressError(`unknown compression type ${type}`);
  }
}
