// @strata/raftlog: the segment-file Raft log store (issue 5, in progress).
// Built so far: the on-disk format (docs/format/raftlog.md): segment headers
// and log batches; segment files; the columnar per-group entry index.

export { BodyCompression, ItemKind, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, SEGMENT_SUFFIX, SEGMENT_VERSION } from './format/format.js';
export { checkSegmentHeader, encodeSegmentHeader } from './format/segment-header.js';
export { decodeBatch, decodeBody, encodeBatch, encodeBody, LogBatch, type DecodedAppend, type DecodedBatch, type DecodedItem, type Entry, type HardState, type Item } from './format/log-batch.js';
export { EntryIndex, type EntryLocation } from './index/entry-index.js';
export { listSegments, readFrame, scanSegment, segmentName, SegmentWriter, type ScannedSegment } from './store/segment.js';
