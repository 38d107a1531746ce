// On-disk constants of the record log (docs/format/record-log.md). Part of
// the format: changing any of them breaks every file already written.

/** Frame header: payload length, payload checksum, header checksum. */
export const HEADER_SIZE = 4 + 4 + 4;
/** Seed of the header checksum, so a header never checks out as a payload. */
export const HEADER_SEED = 0x5354_524c; // "STRL"
/** Largest payload a frame may carry. */
export const MAX_PAYLOAD = 0x4000_0000; // 1 GiB
