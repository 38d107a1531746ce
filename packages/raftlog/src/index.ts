// @strata/raftlog: the segment-file Raft log store. Many Raft groups share
// one append-only stream of segment files (docs/format/raftlog.md).

export { RaftLogStore, type PurgeResult, type RaftLogStats, type WriteOptions } from './store/raft-log-store.js';
export type { RaftLogOptions, RecoveryMode } from './store/options.js';
export type { RecoveryReport } from './store/recovery.js';
export { LogBatch, type Entry, type HardState } from './format/log-batch.js';
export { Compacted, isRaftLogError, RaftLogError, Unavailable, type RaftLogErrorCode } from './errors.js';
export { SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, SEGMENT_SUFFIX, SEGMENT_VERSION } from './format/format.js';
export { segmentName } from './store/segment.js';
