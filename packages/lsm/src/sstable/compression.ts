// Per-block compression (docs/format/sstable.md, "Layout"): lz4 when it
// saves at least 1/8 of the bytes, else the block is stored raw. The lz4
// wrapper and its checks on decode live in @strata/engine.

import { DecompressError, lz4Decompress, lz4IfSmaller } from '@strata/engine';
import { CompressionType } from './format.js';

export type CompressionName = 'lz4' | 'none';

export { DecompressError };

export interface Compressed {
  readonly type: CompressionType;
  /** The bytes to store: the compressed form, or `raw` itself. */
  readonly bytes: Uint8Array;
}

/** `raw` compressed with `name` if that saves at least 1/8 of its bytes, else raw. */
export function compressBlock(raw: Uint8Array, name: CompressionName): Compressed {
  const out = name === 'lz4' ? lz4IfSmaller(raw) : undefined;
  return out === undefined ? { type: CompressionType.None, bytes: raw } : { type: CompressionType.Lz4, bytes: out };
}

/** The raw block stored as `bytes` with compression `type`. */
export function decompressBlock(type: number, bytes: Uint8Array): Uint8Array {
  switch (type as CompressionType) {
    case CompressionType.None:
      return bytes;
    case CompressionType.Lz4:
      return lz4Decompress(bytes);
    default:
      throw new DecompressError(`unknown compression type ${type}`);
  }
}
