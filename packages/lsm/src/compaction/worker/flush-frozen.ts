// A flush as the worker thread receives it: a sealed memtable's arena chunks
// and its refs in internal-key order (Memtable.frozen()). With no range
// tombstones and no snapshots, the common case, the GC rules (gc.ts) reduce to
// "keep the newest version of each table key", and this applies that straight
// to the arena: no iterator, no key or value views, no copy of the current
// key (the previous entry stays readable in place). Otherwise it takes the
// general merge through a FrozenIterator.

import { compareRange, TRAILER_SIZE } from '../../keys/internal-key.js';
import { chunkOf, ENTRY_HEADER_SIZE, offsetOf, u32At } from '../../memtable/arena.js';
import type { FrozenEntries } from '../../memtable/memtable.js';
import type { RangeTombstone } from '../../range-del/tombstone.js';
import { runFlushFrom, type JobDeps, type JobResult } from '../compaction-job.js';
import { OutputWriter } from '../output-writer.js';
import { FrozenIterator } from './frozen-iterator.js';

export async function flushFrozen(e: FrozenEntries, tombstones: readonly RangeTombstone[], deps: JobDeps): Promise<JobResult> {
  if (tombstones.length > 0 || deps.snapshots.length > 0) return runFlushFrom(new FrozenIterator(e), tombstones, deps);
  const { chunks, refs } = e;
  const views = chunks.map((c) => new DataView(c.buffer, c.byteOffset, c.byteLength));
  const writer = new OutputWriter(deps.output, []);
  let prev: Uint8Array | undefined;
  let prevStart = 0;
  let prevLen = -1;
  let entriesOut = 0;
  try {
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as number;
      const c = chunkOf(chunks, ref);
      const o = offsetOf(ref);
      const klen = u32At(c, o);
      const ks = o + ENTRY_HEADER_SIZE;
      const tlen = klen - TRAILER_SIZE;
      // Versions of a table key come newest first: only the first is kept.
      if (tlen === prevLen && compareRange(c, ks, ks + tlen, prev as Uint8Array, prevStart, prevStart + prevLen) === 0) continue;
      const vs = ks + klen;
      writer.addRange(c, ks, vs, c, vs, vs + u32At(c, o + 4), chunkOf(views, ref));
      entriesOut++;
      prev = c;
      prevStart = ks;
      prevLen = tlen;
    }
    const outputs = await writer.finish();
    let bytesWritten = 0;
    for (const out of outputs) bytesWritten += out.size;
    return { outputs, bytesRead: 0, bytesWritten, entriesIn: refs.length, entriesOut };
  } catch (err) {
    writer.abandon();
    throw err;
  }
}
