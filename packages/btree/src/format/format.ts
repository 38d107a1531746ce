// On-disk constants of the B+Tree page file (docs/format/btree.md). Part of
// the format: changing any value here needs a new FORMAT_VERSION.

/** The data file's name inside the engine's directory (classified as "page" by the vfs accounting). */
export const DATA_FILE = 'data.btree';
/** The lock file's name. */
export const LOCK_FILE = 'LOCK';

/** Meta page magic, "STBT" read as a little-endian u32. */
export const MAGIC = 0x54425453;
export const FORMAT_VERSION = 1;

/** Page sizes a file may use: powers of two in [MIN_PAGE_SIZE, MAX_PAGE_SIZE]. */
export const MIN_PAGE_SIZE = 1024;
export const MAX_PAGE_SIZE = 65536;
export const DEFAULT_PAGE_SIZE = 4096;

/**
 * The meta slots are pages 0, 1 and 2; every other page id is >=
 * FIRST_DATA_PAGE. One slot holds the last durable meta; unsynced commits
 * alternate between the other two, so a torn meta write never destroys the
 * last meta a writer was told about.
 */
export const META_SLOTS = 3;
export const FIRST_DATA_PAGE = META_SLOTS;

// Page header: checksum u32, type u8, flags u8, count u16, pgid u32, span u32, txid u64.
export const HDR_CHECKSUM = 0;
export const HDR_TYPE = 4;
export const HDR_FLAGS = 5;
export const HDR_COUNT = 6;
export const HDR_PGID = 8;
export const HDR_SPAN = 12;
export const HDR_TXID = 16;
export const PAGE_HEADER_SIZE = 4 + 1 + 1 + 2 + 4 + 4 + 8;

/** Seed of the xxh32 page checksum, which covers bytes [4, span * pageSize) of a run. */
export const CHECKSUM_SEED = 0x62747265;

export const PageType = {
  Meta: 1,
  Branch: 2,
  Leaf: 3,
  Freelist: 4,
  Overflow: 5,
  Catalog: 6,
} as const;
export type PageType = (typeof PageType)[keyof typeof PageType];

/** Bytes of one slot in a node page's slot array (u16 offset of an entry). */
export const SLOT_SIZE = 2;

/** Leaf entry flag: the value lives in an overflow run. */
export const LEAF_OVERFLOW = 1;
/** An overflow reference in a leaf entry: pgid u32, span u32, txid u64. */
export const OVERFLOW_REF_SIZE = 4 + 4 + 8;
/** A child pointer in a branch entry: pgid u32, txid u64. */
export const CHILD_REF_SIZE = 4 + 8;
/** Largest varint header of a leaf entry: flags u8, key length (< 2^21), value length (< 2^28). */
export const LEAF_ENTRY_MAX_HEADER = 1 + 3 + 4;

// Meta page body, after the page header.
export const META_MAGIC = PAGE_HEADER_SIZE;
export const META_VERSION = META_MAGIC + 4;
export const META_PAGE_SIZE = META_VERSION + 4;
export const META_PAGE_COUNT = META_PAGE_SIZE + 4;
export const META_DURABLE_TXID = META_PAGE_COUNT + 4;
export const META_CATALOG = META_DURABLE_TXID + 8;
export const META_FREELIST = META_CATALOG + 4 + 4 + 8;
export const META_TXID_LEASE = META_FREELIST + 4 + 4 + 8;
export const META_END = META_TXID_LEASE + 8;

/**
 * Txids a durable meta's lease covers beyond its own txid. Pages are stamped
 * only with txids at or below the lease of the last durable meta, and each
 * open starts above every lease on disk, so a txid is never used twice even
 * when a crash lost the meta of a commit whose pages survived.
 */
export const TXID_LEASE = 1 << 20;

/** Blob runs (catalog, freelist) start their payload with a u32 length. */
export const BLOB_LENGTH = PAGE_HEADER_SIZE;
export const BLOB_PAYLOAD = BLOB_LENGTH + 4;

/** Largest value stored (larger values are InvalidArgument). */
export const MAX_VALUE_SIZE = 64 * 1024 * 1024;

/** Largest leaf entry kept inline: two always fit in one page. */
export function maxInlineEntry(pageSize: number): number {
  return Math.floor((pageSize - PAGE_HEADER_SIZE) / 2) - SLOT_SIZE;
}

/** Largest key: four branch entries, or four leaf entries with overflow values, fit in one page. */
export function maxKeySize(pageSize: number): number {
  return Math.floor((pageSize - PAGE_HEADER_SIZE) / 4) - SLOT_SIZE - LEAF_ENTRY_MAX_HEADER - OVERFLOW_REF_SIZE;
}

export function isValidPageSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_PAGE_SIZE && n <= MAX_PAGE_SIZE && (n & (n - 1)) === 0;
}
