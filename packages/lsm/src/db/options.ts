// Options of an LSM database, their defaults (RocksDB's where it has one)
// and their validation. Bad options are InvalidArgument at open.

import { InvalidArgument, type EngineLimits } from '@strata/engine';
import type { FileSystem } from '@strata/vfs';
import { DEFAULT_LEVELED, DEFAULT_TIERED, type CompactionStyle, type CompactionTriggers } from '../compaction/options.js';

export interface LsmOptions {
  /** Tables (column families) to open. New names are added; data of undeclared tables is kept but unreachable. */
  readonly tables: readonly string[];
  readonly fs: FileSystem;
  /** The database directory; created if missing. */
  readonly dir: string;
  readonly limits?: Partial<EngineLimits>;
  /** Memtable size that triggers a switch and flush. Default 16 MiB. */
  readonly writeBufferSize?: number;
  /** Immutable memtables waiting for flush before writes stop. Default 2. */
  readonly maxImmutableMemtables?: number;
  /** 'leveled' (default) or 'tiered', with optional knobs. */
  readonly compaction?: ({ readonly style: 'leveled' } & Partial<Omit<CompactionStyle & { style: 'leveled' }, 'style'>>) | ({ readonly style: 'tiered' } & Partial<Omit<CompactionStyle & { style: 'tiered' }, 'style'>>);
  readonly l0CompactionTrigger?: number;
  readonly l0SlowdownTrigger?: number;
  readonly l0StopTrigger?: number;
  /** Target SSTable size in bytes. Default 8 MiB. */
  readonly targetFileSize?: number;
  readonly numLevels?: number;
  /** SSTable data block size. Default 4096. */
  readonly blockSize?: number;
  readonly restartInterval?: number;
  /** Per-block compression. Default 'lz4'. */
  readonly compression?: 'lz4' | 'none';
  /** Bloom filter bits per key; 0 disables filters. Default 10. */
  readonly bloomBitsPerKey?: number;
  /** Consult the filters tables have; false reads as if they had none (read-amplification studies). Default true. */
  readonly useFilters?: boolean;
  /** Block cache capacity in bytes; 0 disables it. Default 64 MiB. */
  readonly blockCacheBytes?: number;
  /** Open SSTables kept by the table cache. Default 1000. */
  readonly maxOpenFiles?: number;
  /** Write rate in bytes/s when slowing down, scaled down as L0 nears the stop trigger. Default 16 MiB/s. */
  readonly delayedWriteRate?: number;
  /** Longest stretch of background CPU work between event-loop turns, in ms. Default 4. */
  readonly backgroundSliceMs?: number;
  /** Start a fresh manifest past this size. Default 4 MiB. */
  readonly manifestMaxBytes?: number;
  /** Run no compactions unless asked (flushes still run). Default false. */
  readonly disableAutoCompactions?: boolean;
  /** Run flushes and compactions on worker threads when `fs` is a NodeFileSystem (else in time slices on the event loop). Default true. */
  readonly compactionThread?: boolean;
}

export interface ResolvedOptions extends CompactionTriggers {
  readonly limits: EngineLimits;
  readonly writeBufferSize: number;
  readonly maxImmutableMemtables: number;
  readonly compaction: CompactionStyle;
  readonly blockSize: number;
  readonly restartInterval: number;
  readonly compression: 'lz4' | 'none';
  readonly bloomBitsPerKey: number;
  readonly useFilters: boolean;
  readonly blockCacheBytes: number;
  readonly maxOpenFiles: number;
  readonly delayedWriteRate: number;
  readonly backgroundSliceMs: number;
  readonly manifestMaxBytes: number;
  readonly disableAutoCompactions: boolean;
  readonly compactionThread: boolean;
}

export const DEFAULT_LSM_LIMITS: EngineLimits = Object.freeze({ maxKeySize: 64 * 1024, maxValueSize: 64 * 1024 * 1024 });

function int(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgument(`option ${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function num(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidArgument(`option ${name} must be a number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'string':
      return JSON.stringify(value);
    default:
      return `a ${typeof value}`;
  }
}

export function resolveOptions(o: LsmOptions): ResolvedOptions {
  const limits = {
    maxKeySize: int('limits.maxKeySize', o.limits?.maxKeySize, DEFAULT_LSM_LIMITS.maxKeySize, 1),
    maxValueSize: int('limits.maxValueSize', o.limits?.maxValueSize, DEFAULT_LSM_LIMITS.maxValueSize, 1),
  };
  if (limits.maxKeySize > 1 << 20) throw new InvalidArgument('limits.maxKeySize must be at most 1 MiB');
  if (limits.maxValueSize > 256 * 1024 * 1024) throw new InvalidArgument('limits.maxValueSize must be at most 256 MiB');
  let compaction: CompactionStyle;
  const c = o.compaction ?? { style: 'leveled' };
  if (c.style === 'leveled') {
    compaction = {
      style: 'leveled',
      fanout: num('compaction.fanout', c.fanout, DEFAULT_LEVELED.fanout, 2),
      levelBaseBytes: int('compaction.levelBaseBytes', c.levelBaseBytes, DEFAULT_LEVELED.levelBaseBytes, 1),
    };
  } else if (c.style === 'tiered') {
    compaction = {
      style: 'tiered',
      sizeRatio: num('compaction.sizeRatio', c.sizeRatio, DEFAULT_TIERED.sizeRatio, 0),
      minMergeWidth: int('compaction.minMergeWidth', c.minMergeWidth, DEFAULT_TIERED.minMergeWidth, 2),
      maxMergeWidth: int('compaction.maxMergeWidth', c.maxMergeWidth, DEFAULT_TIERED.maxMergeWidth, 2),
      maxSizeAmplificationPercent: num('compaction.maxSizeAmplificationPercent', c.maxSizeAmplificationPercent, DEFAULT_TIERED.maxSizeAmplificationPercent, 1),
    };
  } else {
    throw new InvalidArgument(`compaction.style must be 'leveled' or 'tiered'`);
  }
  const l0CompactionTrigger = int('l0CompactionTrigger', o.l0CompactionTrigger, 4, 1);
  const l0SlowdownTrigger = int('l0SlowdownTrigger', o.l0SlowdownTrigger, Math.max(20, l0CompactionTrigger), l0CompactionTrigger);
  const l0StopTrigger = int('l0StopTrigger', o.l0StopTrigger, Math.max(36, l0SlowdownTrigger + 1), l0SlowdownTrigger + 1);
  const compression = o.compression ?? 'lz4';
  if (compression !== 'lz4' && compression !== 'none') throw new InvalidArgument(`option compression must be 'lz4' or 'none'`);
  for (const name of ['disableAutoCompactions', 'compactionThread', 'useFilters'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new InvalidArgument(`option ${name} must be a boolean`);
  }
  return {
    limits,
    writeBufferSize: int('writeBufferSize', o.writeBufferSize, 16 * 1024 * 1024, 1024),
    maxImmutableMemtables: int('maxImmutableMemtables', o.maxImmutableMemtables, 2, 1),
    compaction,
    l0CompactionTrigger,
    l0SlowdownTrigger,
    l0StopTrigger,
    targetFileSize: int('targetFileSize', o.targetFileSize, 8 * 1024 * 1024, 1024),
    numLevels: int('numLevels', o.numLevels, 7, 2),
    blockSize: int('blockSize', o.blockSize, 4096, 256),
    restartInterval: int('restartInterval', o.restartInterval, 16, 1),
    compression,
    bloomBitsPerKey: int('bloomBitsPerKey', o.bloomBitsPerKey, 10, 0),
    useFilters: o.useFilters ?? true,
    blockCacheBytes: int('blockCacheBytes', o.blockCacheBytes, 64 * 1024 * 1024, 0),
    maxOpenFiles: int('maxOpenFiles', o.maxOpenFiles, 1000, 1),
    delayedWriteRate: int('delayedWriteRate', o.delayedWriteRate, 16 * 1024 * 1024, 1024),
    backgroundSliceMs: num('backgroundSliceMs', o.backgroundSliceMs, 4, 0),
    manifestMaxBytes: int('manifestMaxBytes', o.manifestMaxBytes, 4 * 1024 * 1024, 1024),
    disableAutoCompactions: o.disableAutoCompactions ?? false,
    compactionThread: o.compactionThread ?? true,
  };
}
