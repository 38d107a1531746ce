// @strata/lsm: the LSM-tree StorageEngine (WAL, memtable, SSTables, leveled
// and tiered compaction, manifest) on the vfs seam.

export { LsmEngine } from './db/lsm-engine.js';
export { DEFAULT_LSM_LIMITS, type LsmOptions } from './db/options.js';
export { formatStats, type LevelStats, type LsmStats, type WriteCounters } from './db/stats.js';
export type { ReadCounters } from './stats/read-stats.js';
export type { CompactionStyle, LeveledOptions, TieredOptions } from './compaction/options.js';
export type { FileMeta } from './version/file-meta.js';
