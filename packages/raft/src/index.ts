// @strata/raft: the Raft consensus core (pure, deterministic; etcd raft
// style), its Storage interface, and storage implementations.

export { RawNode, type Ready } from './core/raw-node.js';
export { Raft } from './core/raft.js';
export type { RaftConfig, RandomSource, ReadOnlyOption } from './core/config.js';
export { bootstrap, type Bootstrap } from './confchange/bootstrap.js';
export { changeConfig } from './confchange/changer.js';
export { CONF_CHANGE_VERSION, checkConfChange, decodeConfChange, encodeConfChange, LEAVE_JOINT, type ConfChange, type ConfChangeKind, type ConfChangeSingle, type ConfChangeTransition } from './confchange/conf-change.js';
export { RaftInvariantError } from './log/raft-log.js';
export { MemoryStorage } from './storage/memory-storage.js';
export { RaftLogStorage, type ReadyWrite } from './storage/raftlog-storage.js';
export { RAFT_KEY_PREFIX, RAFT_STORAGE_VERSION } from './storage/format.js';
export type { InitialState, Storage } from './storage/storage.js';
export { Compacted, isRaftError, ProposalDropped, RaftError, SnapshotTemporarilyUnavailable, Unavailable, type RaftErrorCode } from './errors.js';
export * from './types.js';
