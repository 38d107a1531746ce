// Constants of RaftLogStorage's records in a Raft log store group's key
// space (docs/format/raft-storage.md). Part of the on-disk format: a change
// here is a format change and needs a new RAFT_STORAGE_VERSION. Every key the
// adapter writes starts with RAFT_KEY_PREFIX; the rest of a group's key space
// is the application's.

import { EntryType } from '../types.js';

/** The first byte of every encoded record (snapshot meta, compaction point, entry types). */
export const RAFT_STORAGE_VERSION = 1;

/** Keys in a group's key space owned by RaftLogStorage start with these bytes. */
export const RAFT_KEY_PREFIX = 'raft/';

/** Key names (ASCII); the keys are their bytes. */
export const KEY_SNAPSHOT_META = 'raft/snapshot';
export const KEY_SNAPSHOT_DATA = 'raft/snapshot-data';
export const KEY_COMPACTED = 'raft/compacted';
export const KEY_ENTRY_TYPES = 'raft/entry-types';

/** Entry types the entry-types record may hold (Normal is never recorded): 1 to this. */
export const MAX_STORED_ENTRY_TYPE: number = EntryType.ConfChange;
