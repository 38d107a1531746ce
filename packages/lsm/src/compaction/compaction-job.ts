// Flush and compaction jobs: merge their inputs through the GC rules
// (gc.ts) into new SSTables (output-writer.ts). A job only writes new files;
// the caller records them in the manifest and retires the inputs. The
// CPU-heavy loop runs in time slices (yielder.ts) so foreground reads and
// writes keep flowing.

import { copyBytes, InvalidArgument } from '@strata/engine';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { LevelIterator } from '../iterator/level-iterator.js';
import { MergingIterator } from '../iterator/merging-iterator.js';
import { compareRange, isKind, kindOf, seqOf, TRAILER_SIZE, type SeqNum } from '../keys/internal-key.js';
import type { Memtable } from '../memtable/memtable.js';
import { FragmentIndex } from '../range-del/fragment-index.js';
import { flatten } from '../range-del/fragmenter.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import type { TableCache, TableHandle } from '../table-cache/table-cache.js';
import type { FileMeta } from '../version/file-meta.js';
import { keepFragments, Stripes, VersionFilter } from './gc.js';
import { OutputWriter, type OutputContext } from './output-writer.js';
import type { Yielder } from './yielder.js';

export interface CompactionSpec {
  /** Why it was picked, for stats and logs. */
  readonly reason: string;
  /** Input files by level; L0 files newest first. */
  readonly inputs: readonly { readonly level: number; readonly files: readonly FileMeta[] }[];
  readonly outputLevel: number;
  /** No data older than the inputs overlaps their range anywhere else. */
  readonly bottommost: boolean;
  /** Move the single input file to the output level without rewriting it. */
  readonly trivialMove: boolean;
}

export interface JobResult {
  readonly outputs: FileMeta[];
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly entriesIn: number;
  readonly entriesOut: number;
}

export interface JobDeps {
  readonly output: OutputContext;
  readonly tableCache: TableCache;
  /** Sequence numbers of live snapshots (and scans). */
  readonly snapshots: readonly number[];
  readonly yielder: Yielder;
}

/** Writes an immutable memtable as L0 table(s); never bottommost. */
export async function runFlush(mem: Memtable, deps: JobDeps): Promise<JobResult> {
  return runFlushFrom(mem.iterator(), mem.rangeTombstones(), deps);
}

/** Writes sorted entries and range tombstones (a memtable's contents) as L0 table(s). */
export async function runFlushFrom(entries: InternalIterator, tombstones: readonly RangeTombstone[], deps: JobDeps): Promise<JobResult> {
  return merge(entries, new FragmentIndex(tombstones), false, deps, 0);
}

export async function runCompaction(spec: CompactionSpec, deps: JobDeps): Promise<JobResult> {
  if (spec.trivialMove) throw new InvalidArgument('a trivial move has nothing to run');
  const handles: TableHandle[] = [];
  const levelIters: LevelIterator[] = [];
  try {
    const children: InternalIterator[] = [];
    const tombstones: RangeTombstone[] = [];
    let bytesRead = 0;
    for (const { level, files } of spec.inputs) {
      for (const f of files) {
        bytesRead += f.size;
        if (f.rangeDels > 0 || level === 0) {
          const h = deps.tableCache.acquire(f);
          handles.push(h);
          if (f.rangeDels > 0) tombstones.push(...flatten(h.tombstones.fragments));
          if (level === 0) children.push(h.reader.iterator({ fillCache: false }));
        }
      }
      if (level > 0) {
        const it = new LevelIterator(files, deps.tableCache, { fillCache: false });
        levelIters.push(it);
        children.push(it);
      }
    }
    const iter = children.length === 1 ? (children[0] as InternalIterator) : new MergingIterator(children);
    return await merge(iter, new FragmentIndex(tombstones), spec.bottommost, deps, bytesRead);
  } finally {
    for (const it of levelIters) it.close();
    for (const h of handles) h.release();
  }
}

async function merge(iter: InternalIterator, index: FragmentIndex, bottommost: boolean, deps: JobDeps, bytesRead: number): Promise<JobResult> {
  const stripes = new Stripes(deps.snapshots);
  const filter = new VersionFilter(stripes, bottommost);
  const writer = new OutputWriter(deps.output, keepFragments(index.fragments, stripes, bottommost));
  const noCover: readonly SeqNum[] = [];
  let entriesIn = 0;
  let entriesOut = 0;
  // The current table key, copied into a reusable buffer.
  let cur = new Uint8Array(64);
  let curLen = -1;
  try {
    iter.seekToFirst();
    while (iter.valid) {
      let k = iter.key();
      let value = iter.value();
      const klen = k.length - TRAILER_SIZE;
      if (klen !== curLen || compareRange(k, 0, klen, cur, 0, curLen) !== 0) {
        if (cur.length < klen) cur = new Uint8Array(klen * 2);
        copyBytes(cur, 0, k, 0, klen);
        curLen = klen;
        const f = index.empty ? undefined : index.find(k.subarray(0, klen));
        filter.begin(f?.seqs ?? noCover);
        if (deps.yielder.due()) {
          // Keys and values are views that may not outlive a loop turn: copy this entry first.
          k = k.slice();
          value = value.slice();
          await deps.yielder.yield();
        }
      }
      entriesIn++;
      const kind = kindOf(k);
      if (!isKind(kind)) throw new Error(`unknown entry kind ${kind}`);
      if (filter.keep(seqOf(k), kind)) {
        writer.add(k, value);
        entriesOut++;
      }
      iter.next();
    }
    const outputs = await writer.finish();
    let bytesWritten = 0;
    for (const o of outputs) bytesWritten += o.size;
    return { outputs, bytesRead, bytesWritten, entriesIn, entriesOut };
  } catch (err) {
    writer.abandon();
    throw err;
  }
}
