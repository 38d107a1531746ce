// Compaction settings of a database: the strategy and its knobs. Defaults
// follow RocksDB's where they exist.

export interface LeveledOptions {
  readonly style: 'leveled';
  /** Size ratio between adjacent levels (the fanout k). Default 10. */
  readonly fanout: number;
  /** Target size of L1 in bytes. Default 64 MiB. */
  readonly levelBaseBytes: number;
}

export interface TieredOptions {
  readonly style: 'tiered';
  /** Merge runs while the next is at most (100 + sizeRatio)% of the runs merged so far. Default 1. */
  readonly sizeRatio: number;
  /** Fewest runs a size-ratio merge takes. Default 2. */
  readonly minMergeWidth: number;
  /** Most runs one merge takes. Default unlimited. */
  readonly maxMergeWidth: number;
  /** Compact everything once the other runs exceed this percent of the oldest. Default 200. */
  readonly maxSizeAmplificationPercent: number;
}

export type CompactionStyle = LeveledOptions | TieredOptions;

export interface CompactionTriggers {
  /** Compact L0 (leveled) or merge runs (tiered) at this many L0 files / sorted runs. Default 4. */
  readonly l0CompactionTrigger: number;
  /** Start slowing writes at this many. Default 20. */
  readonly l0SlowdownTrigger: number;
  /** Stop writes at this many until compaction catches up. Default 36. */
  readonly l0StopTrigger: number;
  /** Target SSTable size. Default 8 MiB. */
  readonly targetFileSize: number;
  /** Number of levels. Default 7. */
  readonly numLevels: number;
}

export const DEFAULT_LEVELED: LeveledOptions = { style: 'leveled', fanout: 10, levelBaseBytes: 64 * 1024 * 1024 };
export const DEFAULT_TIERED: TieredOptions = {
  style: 'tiered',
  sizeRatio: 1,
  minMergeWidth: 2,
  maxMergeWidth: Number.MAX_SAFE_INTEGER,
  maxSizeAmplificationPercent: 200,
};
