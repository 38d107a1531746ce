// Checksums for on-disk records: xxHash32 through xxhash-wasm. The wasm
// module loads asynchronously once per process; engines await
// loadChecksum() while opening and then hash synchronously.

import xxhash from 'xxhash-wasm';

export interface Checksum {
  /** xxHash32 of `bytes` with `seed`, as an unsigned 32-bit integer. */
  xxh32(bytes: Uint8Array, seed?: number): number;
}

let loading: Promise<Checksum> | undefined;

export function loadChecksum(): Promise<Checksum> {
  loading ??= xxhash().then((api) => ({
    xxh32: (bytes: Uint8Array, seed = 0): number => api.h32Raw(bytes, seed) >>> 0,
  }));
  return loading;
}
