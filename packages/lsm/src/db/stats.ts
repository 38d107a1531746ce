// Engine statistics: counters the engine bumps, and the snapshot db.stats()
// returns with the derived figures (write, read and space amplification)
// plus a printable report in the spirit of RocksDB's "rocksdb.stats".

import type { ReadCounters } from '../stats/read-stats.js';

export interface WriteCounters {
  /** Key and value bytes the user asked to write. */
  userBytes: number;
  /** Batches and ops written. */
  batches: number;
  ops: number;
  /** Bytes appended to the WAL (frames included), and WAL syncs. */
  walBytes: number;
  walSyncs: number;
  /** Write groups committed (group commit merges concurrent batches). */
  groups: number;
  flushes: number;
  flushBytes: number;
  compactions: number;
  trivialMoves: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  /** Writes delayed by the L0 slowdown trigger, writes stopped, and the time spent so, in microseconds. */
  slowdowns: number;
  stops: number;
  stallMicros: number;
  gets: number;
}

export function newWriteCounters(): WriteCounters {
  return {
    userBytes: 0,
    batches: 0,
    ops: 0,
    walBytes: 0,
    walSyncs: 0,
    groups: 0,
    flushes: 0,
    flushBytes: 0,
    compactions: 0,
    trivialMoves: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    slowdowns: 0,
    stops: 0,
    stallMicros: 0,
    gets: 0,
  };
}

export interface LevelStats {
  readonly level: number;
  readonly files: number;
  readonly bytes: number;
  /** Compaction score: >= 1 means the level is due. */
  readonly score: number;
}

export interface LsmStats {
  readonly style: 'leveled' | 'tiered';
  readonly levels: readonly LevelStats[];
  readonly sortedRuns: number;
  readonly memtableBytes: number;
  readonly immutableMemtables: number;
  readonly lastSeq: number;
  readonly writes: Readonly<WriteCounters>;
  readonly reads: Readonly<ReadCounters>;
  /** (flush + compaction bytes written) / user bytes, as RocksDB reports it. */
  readonly writeAmplification: number;
  /** Including the WAL: (WAL + flush + compaction) / user bytes. */
  readonly totalWriteAmplification: number;
  /** All SSTable bytes over the bytes of the deepest non-empty level. */
  readonly spaceAmplification: number;
  /** Tables probed per get, and data blocks read per get. */
  readonly tablesPerGet: number;
  readonly blocksPerGet: number;
  readonly blockCache: { readonly hits: number; readonly misses: number; readonly hitRatio: number; readonly bytes: number; readonly capacity: number };
  readonly openTables: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function deriveStats(
  base: Omit<LsmStats, 'writeAmplification' | 'totalWriteAmplification' | 'spaceAmplification' | 'tablesPerGet' | 'blocksPerGet'>,
): LsmStats {
  const w = base.writes;
  const total = base.levels.reduce((n, l) => n + l.bytes, 0);
  const deepest = [...base.levels].reverse().find((l) => l.bytes > 0);
  return {
    ...base,
    writeAmplification: ratio(w.flushBytes + w.compactionBytesWritten, w.userBytes),
    totalWriteAmplification: ratio(w.walBytes + w.flushBytes + w.compactionBytesWritten, w.userBytes),
    spaceAmplification: deepest === undefined ? 0 : total / deepest.bytes,
    tablesPerGet: ratio(base.reads.tablesProbed, w.gets),
    blocksPerGet: ratio(base.reads.blocksRead, w.gets),
  };
}

const mib = (n: number): string => (n / (1024 * 1024)).toFixed(2);

export function formatStats(s: LsmStats): string {
  const lines: string[] = [];
  lines.push(`** LSM stats (${s.style}) **`);
  lines.push('Level  Files   Size(MiB)  Score');
  for (const l of s.levels) {
    if (l.files === 0 && l.level > 0) continue;
    lines.push(`L${String(l.level).padEnd(5)} ${String(l.files).padStart(5)}  ${mib(l.bytes).padStart(10)}  ${l.score.toFixed(2).padStart(5)}`);
  }
  const w = s.writes;
  lines.push(`Sorted runs: ${s.sortedRuns}; memtable ${mib(s.memtableBytes)} MiB; immutable memtables ${s.immutableMemtables}; last seq ${s.lastSeq}`);
  lines.push(`Ingest: ${w.batches} batches, ${w.ops} ops, ${mib(w.userBytes)} MiB user data; ${w.groups} write groups, ${w.walSyncs} WAL syncs`);
  lines.push(
    `Written: WAL ${mib(w.walBytes)} MiB, flush ${mib(w.flushBytes)} MiB (${w.flushes}), compaction ${mib(w.compactionBytesWritten)} MiB (${w.compactions}, ${w.trivialMoves} trivial moves), compaction read ${mib(w.compactionBytesRead)} MiB`,
  );
  lines.push(`Write amplification: ${s.writeAmplification.toFixed(2)} (flush+compaction), ${s.totalWriteAmplification.toFixed(2)} (with WAL)`);
  lines.push(`Space amplification: ${s.spaceAmplification.toFixed(2)}`);
  const r = s.reads;
  lines.push(
    `Reads: ${w.gets} gets, ${s.tablesPerGet.toFixed(2)} tables/get, ${s.blocksPerGet.toFixed(2)} blocks/get, filter negatives ${r.filterNegatives}, false positives ${r.filterFalsePositives}`,
  );
  lines.push(
    `Block cache: ${(100 * s.blockCache.hitRatio).toFixed(1)}% hits (${s.blockCache.hits} hits, ${s.blockCache.misses} misses), ${mib(s.blockCache.bytes)}/${mib(s.blockCache.capacity)} MiB; open tables ${s.openTables}`,
  );
  lines.push(`Stalls: ${w.slowdowns} slowdowns, ${w.stops} stops, ${(w.stallMicros / 1000).toFixed(1)} ms stalled`);
  return lines.join('\n');
}
