// Constants of the segment-file Raft log (docs/format/raftlog.md). A segment
// is a header followed by record-log frames (docs/format/record-log.md); each
// frame's payload is one log batch.

/** "SRLG", little-endian, at the start of every segment. */
export const SEGMENT_MAGIC = 0x474c_5253;
export const SEGMENT_VERSION = 1;
/** magic u32, version u32, segment number u64, purge floor u32, header checksum u32. */
export const SEGMENT_HEADER_SIZE = 4 + 4 + 8 + 4 + 4;
/** xxh32 seed of the segment header checksum ("SRSH"). */
export const SEGMENT_HEADER_SEED = 0x4853_5253;

/** Segment file names: 16 decimal digits, then this suffix. */
export const SEGMENT_SUFFIX = '.rlog';

/** How a batch body is stored after its first byte. */
export const enum BodyCompression {
  None = 0,
  Lz4 = 1,
}

/** Frame bodies at least this large are offered to lz4 (kept only if it saves an eighth). lz4 takes about 3 µs per KiB body here, against about 300 µs for an fdatasync. */
export const LZ4_MIN_BODY = 256;

/** Item kinds inside a batch body. */
export const enum ItemKind {
  /** Entries from an index on; replaces any entries at or after it. */
  Append = 1,
  /** Removes entries at or after an index. */
  Truncate = 2,
  HardState = 3,
  /** Entries below an index are no longer needed. */
  CompactTo = 4,
  Put = 5,
  Delete = 6,
  /** Drops every entry; the next one is at an index (installing a snapshot; purge's rewrite of an empty log). */
  Reset = 7,
}
