// @strata/raft: the Raft consensus core (pure, deterministic; etcd raft
// style), its Storage interface, and storage implementations.

export { RawNode, type Ready } from './core/raw-node.js';
export { Raft } from './core/raft.js';
export type { RaftConfig, RandomSource, ReadOnlyOption } from './core/config.js';
export { RaftInvariantError } from './log/raft-log.js';
export { MemoryStorage } from './storage/memory-storage.js';
export type { InitialState, Storage } from './storage/storage.js';
export { Compacted, isRaftError, ProposalDropped, RaftError, SnapshotTemporarilyUnavailable, Unavailable, type RaftErrorCode } from './errors.js';
export * from './types.js';
