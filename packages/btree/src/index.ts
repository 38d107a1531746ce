// @strata/btree: a copy-on-write B+Tree StorageEngine on the vfs seam.

export { BtreeEngine } from './db/btree-engine.js';
export type { BtreeOptions } from './db/options.js';
export { formatStats, type BtreeStats } from './db/stats.js';
export { DATA_FILE, DEFAULT_PAGE_SIZE, maxInlineEntry, maxKeySize } from './format/format.js';
