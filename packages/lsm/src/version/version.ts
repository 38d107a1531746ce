// A Version: the set of SSTables making up the tree at one moment, by level.
// Immutable once built. L0 holds whole sorted runs per file, possibly
// overlapping, ordered newest first (by largest seq); every level >= 1 is one
// sorted run: files ordered by key, non-overlapping. Reads consult L0 files
// newest-first, then at most one file per deeper level.
//
// Reference counts pin a version (and so its files) while a scan reads it;
// the VersionSet deletes a file only once no live version holds it.

import { compareBytes } from '../keys/internal-key.js';
import { afterRange, firstNotBefore, rangesOverlap, totalSize, type FileMeta, type KeyRange } from './file-meta.js';

export class Version {
  /** Files per level. Invariant: see the header. */
  readonly levels: readonly (readonly FileMeta[])[];
  /** Live references (the VersionSet's own for current, plus scans). */
  refs = 0;

  constructor(levels: readonly (readonly FileMeta[])[]) {
    this.levels = levels;
  }

  static empty(numLevels: number): Version {
    return new Version(Array.from({ length: numLevels }, () => []));
  }

  get numLevels(): number {
    return this.levels.length;
  }

  files(level: number): readonly FileMeta[] {
    return this.levels[level] ?? [];
  }

  levelBytes(level: number): number {
    return totalSize(this.files(level));
  }

  /** Every file, any level. */
  *allFiles(): Generator<FileMeta> {
    for (const level of this.levels) yield* level;
  }

  /** Index of the file in sorted level `level` (>= 1) whose range may contain `tkey`, or -1. */
  findFile(level: number, tkey: Uint8Array): number {
    const files = this.files(level);
    const i = firstNotBefore(files, tkey);
    const f = files[i];
    return f !== undefined && compareBytes(tkey, f.smallest) >= 0 ? i : -1;
  }

  /** Files of `level` whose range overlaps `range`, in level order. */
  overlapping(level: number, range: KeyRange): FileMeta[] {
    const files = this.files(level);
    if (level === 0) return files.filter((f) => rangesOverlap(f, range));
    // Sorted level: the overlapping files are contiguous.
    const out: FileMeta[] = [];
    for (let i = firstNotBefore(files, range.smallest); i < files.length; i++) {
      const f = files[i] as FileMeta;
      if (afterRange(f.smallest, range)) break;
      out.push(f);
    }
    return out;
  }
}

/** Sorts files as `level` requires: L0 newest first, other levels by smallest key. */
export function sortLevel(level: number, files: FileMeta[]): FileMeta[] {
  if (level === 0) return files.sort((a, b) => b.largestSeq - a.largestSeq || b.fileNum - a.fileNum);
  return files.sort((a, b) => compareBytes(a.smallest, b.smallest));
}

/** Checks the sorted-run invariant of levels >= 1; returns a description of the first violation. */
export function checkLevels(levels: readonly (readonly FileMeta[])[]): string | undefined {
  for (let l = 1; l < levels.length; l++) {
    const files = levels[l] as readonly FileMeta[];
    for (let i = 1; i < files.length; i++) {
      const a = files[i - 1] as FileMeta;
      const b = files[i] as FileMeta;
      if (!afterRange(b.smallest, a)) return `level ${l}: file ${a.fileNum} overlaps file ${b.fileNum}`;
    }
  }
  return undefined;
}
