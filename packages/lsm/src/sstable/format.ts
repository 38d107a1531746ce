// On-disk constants of SSTables (docs/format/sstable.md). Part of the format:
// changing any value here breaks every table already written; a change needs
// a new FORMAT_VERSION and a reader that still understands the old one.

/** Version written in the footer; a reader rejects any other as Corruption. */
export const FORMAT_VERSION = 1;

/** Last 8 bytes of every table: "STRATAST". */
export const MAGIC = Uint8Array.of(0x53, 0x54, 0x52, 0x41, 0x54, 0x41, 0x53, 0x54);

/** Compression type byte of a block trailer. */
export const enum CompressionType {
  None = 0,
  Lz4 = 1,
}

/** Block trailer: compression type, then xxh32 of payload and type byte. */
export const BLOCK_TRAILER_SIZE = 1 + 4;
/** Seed of a block checksum ("SSTB"). */
export const BLOCK_CHECKSUM_SEED = 0x5353_5442;

/** A block handle in the footer: offset u64le, payload size u32le (trailer excluded). */
export const FOOTER_HANDLE_SIZE = 8 + 4;
/** Footer: four handles (filter, range-del, properties, index), version, checksum, magic. */
export const FOOTER_SIZE = 4 * FOOTER_HANDLE_SIZE + 4 + 4 + 8;
/** Bytes of the footer its checksum covers: the handles and the version. */
export const FOOTER_CHECKED_SIZE = 4 * FOOTER_HANDLE_SIZE + 4;
/** Seed of the footer checksum ("SSTF"). */
export const FOOTER_CHECKSUM_SEED = 0x5353_5446;

/** Block trailer of restarts: each restart offset and the count are u32le. */
export const RESTART_SIZE = 4;

/** Seed of the bloom filter's key hash (murmur3 x86_32). */
export const BLOOM_HASH_SEED = 0xbc9f_1d34;
/** Probe counts a reader honours; a filter claiming more (or 0) answers "maybe" for every key. */
export const BLOOM_MAX_PROBES = 30;
/** Smallest bit array a builder writes, so tiny filters are not all ones. */
export const BLOOM_MIN_BITS = 64;
/** Bits per filter block: one 64-byte cache line holds all of a key's probes. */
export const BLOOM_BLOCK_BITS = 64 * 8;
/** Largest bit array: bit positions stay 32-bit; a reader answers "maybe" for larger filters. */
export const BLOOM_MAX_BITS = 0xffff_ffff;
/** Mixed into the key hash to derive the probe step. */
export const BLOOM_STEP_MIX = 0x9e37_79b9;

/** Defaults (not part of the format: a reader accepts any values). */
export const DEFAULT_BLOCK_SIZE = 4096;
export const DEFAULT_RESTART_INTERVAL = 16;
export const DEFAULT_BLOOM_BITS_PER_KEY = 10;
