// @strata/lsm/sstable: the SSTable building blocks, for tools and benchmarks
// that measure them on their own (the engine itself is the package root).

export { BloomBuilder, bloomAdd, bloomHash, bloomMayContain, bloomProbes, newBloomFilter } from './bloom.js';
export { BlockCache, type BlockCacheStats } from './block-cache.js';
export { TableBuilder, type TableBuilderOptions } from './table-builder.js';
export { TableReader } from './table-reader.js';
export type { TableProperties } from './properties.js';
