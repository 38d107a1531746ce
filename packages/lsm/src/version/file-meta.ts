// What the manifest records about one SSTable, and the key-range algebra the
// version and compaction pickers use. Bounds are table keys. A file's upper
// bound is exclusive when it comes from a range tombstone's end (the file
// covers keys up to but not including it), so two neighbouring files in a
// level may share that key as one's exclusive end and the other's start.

import { compareBytes } from '../keys/internal-key.js';
import type { FileNum } from './filenames.js';

export interface KeyRange {
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
  /** True if `largest` itself is not covered. */
  readonly largestExclusive: boolean;
}

export interface FileMeta extends KeyRange {
  readonly fileNum: FileNum;
  /** File size in bytes. */
  readonly size: number;
  /** Sequence-number range of the entries and tombstones inside. */
  readonly smallestSeq: number;
  readonly largestSeq: number;
  /** Point entries, and point deletions among them. */
  readonly entries: number;
  readonly deletions: number;
  /** Range-tombstone fragments stored in the file. */
  readonly rangeDels: number;
}

/** True if table key `k` lies past the end of `r`. */
export function afterRange(k: Uint8Array, r: KeyRange): boolean {
  const c = compareBytes(k, r.largest);
  return c > 0 || (c === 0 && r.largestExclusive);
}

/** Index of the first of `files` (sorted, non-overlapping) that does not end before `k`; files.length if none. */
export function firstNotBefore(files: readonly KeyRange[], k: Uint8Array): number {
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (afterRange(k, files[mid] as KeyRange)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True if `k` lies inside `r`. */
export function inRange(k: Uint8Array, r: KeyRange): boolean {
  return compareBytes(k, r.smallest) >= 0 && !afterRange(k, r);
}

export function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  return !afterRange(b.smallest, a) && !afterRange(a.smallest, b);
}

/** The smallest range covering all of `ranges` (at least one). */
export function unionRange(ranges: readonly KeyRange[]): KeyRange {
  let smallest = (ranges[0] as KeyRange).smallest;
  let largest = (ranges[0] as KeyRange).largest;
  let largestExclusive = (ranges[0] as KeyRange).largestExclusive;
  for (const r of ranges) {
    if (compareBytes(r.smallest, smallest) < 0) smallest = r.smallest;
    const c = compareBytes(r.largest, largest);
    if (c > 0) {
      largest = r.largest;
      largestExclusive = r.largestExclusive;
    } else if (c === 0) {
      largestExclusive &&= r.largestExclusive;
    }
  }
  return { smallest, largest, largestExclusive };
}

export function totalSize(files: readonly FileMeta[]): number {
  let n = 0;
  for (const f of files) n += f.size;
  return n;
}
