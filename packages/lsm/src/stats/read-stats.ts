// Counters a read path bumps as it works, summed into db.stats(). Plain
// mutable numbers: the engine owns one instance and passes it down.

export interface ReadCounters {
  /** SSTables whose contents a point lookup consulted (filter check included). */
  tablesProbed: number;
  /** Filter checks that said "definitely absent": a table skipped without reading a block. */
  filterNegatives: number;
  /** Filter checks that said "maybe present" where the table then held no entry for the key. */
  filterFalsePositives: number;
  /** Data blocks needed by reads (cache hits plus misses). */
  blocksRead: number;
  /** Block reads served from the block cache. */
  blockCacheHits: number;
  /** Block reads that went to the file; bytes read for them. */
  blockCacheMisses: number;
  blockBytesRead: number;
}

export function newReadCounters(): ReadCounters {
  return {
    tablesProbed: 0,
    filterNegatives: 0,
    filterFalsePositives: 0,
    blocksRead: 0,
    blockCacheHits: 0,
    blockCacheMisses: 0,
    blockBytesRead: 0,
  };
}
