// Leveled compaction (LevelDB / RocksDB): level n >= 1 aims at
// levelBaseBytes * fanout^(n-1) bytes. Scores say how far each level is over
// its budget: L0 by file count against its trigger, deeper levels by bytes
// against their target. The highest score >= 1 is compacted: all of L0 into
// L1, or from level n the one file whose overlap with level n+1 is smallest
// relative to its own size (RocksDB's kMinOverlappingRatio, which keeps write
// amplification down), into level n+1. Files with no overlap below (and,
// from L0, none among themselves) move down without being rewritten.

import type { FileMeta, KeyRange } from '../version/file-meta.js';
import { afterRange, totalSize, unionRange } from '../version/file-meta.js';
import { compareBytes } from '../keys/internal-key.js';
import type { Version } from '../version/version.js';
import type { CompactionSpec } from './compaction-job.js';
import type { CompactionTriggers, LeveledOptions } from './options.js';

export interface LevelScore {
  readonly level: number;
  readonly score: number;
}

export function levelTarget(level: number, options: LeveledOptions): number {
  return options.levelBaseBytes * Math.pow(options.fanout, level - 1);
}

export function leveledScores(v: Version, options: LeveledOptions, triggers: CompactionTriggers): LevelScore[] {
  const out: LevelScore[] = [{ level: 0, score: v.files(0).length / triggers.l0CompactionTrigger }];
  for (let l = 1; l < v.numLevels - 1; l++) out.push({ level: l, score: v.levelBytes(l) / levelTarget(l, options) });
  return out;
}

/** True if no level deeper than `level` holds a file overlapping `range`. */
export function isBottommost(v: Version, level: number, range: KeyRange): boolean {
  for (let l = level + 1; l < v.numLevels; l++) if (v.overlapping(l, range).length > 0) return false;
  return true;
}

export function pickLeveled(v: Version, options: LeveledOptions, triggers: CompactionTriggers): CompactionSpec | undefined {
  const scores = leveledScores(v, options, triggers).sort((a, b) => b.score - a.score);
  const best = scores[0];
  if (best === undefined || best.score < 1) return undefined;
  const level = best.level;
  const reason = `L${level} score ${best.score.toFixed(2)}`;
  if (level === 0) {
    const l0 = v.files(0);
    const range = unionRange(l0);
    const next = v.overlapping(1, range);
    const all = unionRange([...l0, ...next]);
    return {
      reason,
      inputs: [
        { level: 0, files: l0 },
        { level: 1, files: next },
      ],
      outputLevel: 1,
      bottommost: isBottommost(v, 1, all),
      // Sequential fills flush disjoint L0 files: move them all down unchanged.
      trivialMove: next.length === 0 && pairwiseDisjoint(l0),
    };
  }
  let pick: FileMeta | undefined;
  let pickNext: FileMeta[] = [];
  let bestRatio = Infinity;
  for (const f of v.files(level)) {
    const next = v.overlapping(level + 1, f);
    const ratio = totalSize(next) / Math.max(1, f.size);
    if (ratio < bestRatio) {
      bestRatio = ratio;
      pick = f;
      pickNext = next;
    }
  }
  if (pick === undefined) return undefined;
  const all = unionRange([pick, ...pickNext]);
  return {
    reason,
    inputs: [
      { level, files: [pick] },
      { level: level + 1, files: pickNext },
    ],
    outputLevel: level + 1,
    bottommost: isBottommost(v, level + 1, all),
    trivialMove: pickNext.length === 0,
  };
}

/** True if no two of `files` overlap. */
function pairwiseDisjoint(files: readonly FileMeta[]): boolean {
  const sorted = [...files].sort((a, b) => compareBytes(a.smallest, b.smallest));
  for (let i = 1; i < sorted.length; i++) if (!afterRange((sorted[i] as FileMeta).smallest, sorted[i - 1] as FileMeta)) return false;
  return true;
}
