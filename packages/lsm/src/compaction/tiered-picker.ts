// Tiered (universal-style) compaction, after RocksDB's universal compaction.
// The tree is a list of sorted runs, newest first: each L0 file is a run,
// and each non-empty deeper level is one run. When there are at least
// l0CompactionTrigger runs, the picker tries, in order:
//   1. size amplification: if the runs other than the oldest add up to more
//      than maxSizeAmplificationPercent of the oldest, merge everything;
//   2. size ratio: from the newest run, gather runs while the next one is at
//      most (100 + sizeRatio)% of those gathered; merge if >= minMergeWidth;
//   3. run count: merge the newest runs to bring the count under the trigger.
// A merge's output is one run placed where the oldest input run was: in its
// level, or, for L0 inputs, in the deepest empty level above the next older
// run (L0 if an older L0 file remains).

import { totalSize, type FileMeta } from '../version/file-meta.js';
import type { Version } from '../version/version.js';
import type { CompactionSpec } from './compaction-job.js';
import type { CompactionTriggers, TieredOptions } from './options.js';

export interface SortedRun {
  /** Level holding the run; for L0, one file. */
  readonly level: number;
  readonly files: readonly FileMeta[];
  readonly bytes: number;
}

export function sortedRuns(v: Version): SortedRun[] {
  const runs: SortedRun[] = v.files(0).map((f) => ({ level: 0, files: [f], bytes: f.size }));
  for (let l = 1; l < v.numLevels; l++) {
    const files = v.files(l);
    if (files.length > 0) runs.push({ level: l, files, bytes: totalSize(files) });
  }
  return runs;
}

export function tieredScore(v: Version, triggers: CompactionTriggers): number {
  return sortedRuns(v).length / triggers.l0CompactionTrigger;
}

export function pickTiered(v: Version, options: TieredOptions, triggers: CompactionTriggers): CompactionSpec | undefined {
  const runs = sortedRuns(v);
  if (runs.length < triggers.l0CompactionTrigger || runs.length < 2) return undefined;
  const oldest = runs[runs.length - 1] as SortedRun;
  let newerBytes = 0;
  for (let i = 0; i < runs.length - 1; i++) newerBytes += (runs[i] as SortedRun).bytes;
  if (newerBytes * 100 > options.maxSizeAmplificationPercent * Math.max(1, oldest.bytes)) {
    return spec(v, runs, 0, runs.length, `size amplification ${((100 * newerBytes) / Math.max(1, oldest.bytes)).toFixed(0)}%`);
  }
  const maxWidth = Math.max(2, options.maxMergeWidth);
  for (let start = 0; start < runs.length - 1; start++) {
    let sum = (runs[start] as SortedRun).bytes;
    let end = start + 1;
    while (end < runs.length && end - start < maxWidth) {
      const next = runs[end] as SortedRun;
      if (next.bytes * 100 > sum * (100 + options.sizeRatio)) break;
      sum += next.bytes;
      end++;
    }
    if (end - start >= Math.max(2, options.minMergeWidth)) return spec(v, runs, start, end, `size ratio, ${end - start} runs`);
  }
  const width = Math.min(maxWidth, Math.max(2, runs.length - triggers.l0CompactionTrigger + 1));
  return spec(v, runs, 0, width, `run count ${runs.length}`);
}

function spec(v: Version, runs: readonly SortedRun[], start: number, end: number, reason: string): CompactionSpec {
  const picked = runs.slice(start, end);
  const last = picked[picked.length - 1] as SortedRun;
  let outputLevel: number;
  if (last.level > 0) {
    outputLevel = last.level;
  } else {
    const older = runs[end];
    if (older === undefined) outputLevel = v.numLevels - 1;
    else if (older.level === 0) outputLevel = 0;
    else outputLevel = older.level - 1;
  }
  const inputs = new Map<number, FileMeta[]>();
  for (const r of picked) {
    const files = inputs.get(r.level) ?? [];
    files.push(...r.files);
    inputs.set(r.level, files);
  }
  return {
    reason,
    inputs: [...inputs].map(([level, fs]) => ({ level, files: fs })),
    outputLevel,
    bottommost: end === runs.length,
    trivialMove: false,
  };
}
