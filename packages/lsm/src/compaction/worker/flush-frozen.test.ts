// The flush fast path (flush-frozen.ts) against the general merge it stands
// in for: seeded memtables with several versions per key, deletions, two
// tables and values of every size flush to tables holding the same entries,
// with the same metadata; with a snapshot or a range tombstone it defers to
// the general path.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadChecksum, type Checksum } from '@strata/engine';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { Kind, tableKey } from '../../keys/internal-key.js';
import { Memtable } from '../../memtable/memtable.js';
import { BlockCache } from '../../sstable/block-cache.js';
import { newReadCounters } from '../../stats/read-stats.js';
import { TableCache } from '../../table-cache/table-cache.js';
import type { FileMeta } from '../../version/file-meta.js';
import type { FileNum } from '../../version/filenames.js';
import { runFlushFrom, type JobDeps, type JobResult } from '../compaction-job.js';
import { Yielder } from '../yielder.js';
import { flushFrozen } from './flush-frozen.js';
import { FrozenIterator } from './frozen-iterator.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function deps(fs: MemFileSystem, checksum: Checksum, dir: string, snapshots: number[]): JobDeps {
  let n = 1;
  fs.mkdir(dir, { recursive: true });
  return {
    output: {
      fs,
      dir,
      checksum,
      table: { blockSize: 512, restartInterval: 4, compression: 'lz4', bloomBitsPerKey: 10 },
      targetFileSize: Infinity,
      newFileNumber: () => n++ as FileNum,
    },
    tableCache: new TableCache(fs, dir, 10, { checksum, blockCache: new BlockCache(0), counters: newReadCounters() }),
    snapshots,
    yielder: new Yielder(Infinity),
  };
}

/** Every entry of the flushed tables, as hex ikey=value, in order. */
function contents(d: JobDeps, result: JobResult): string[] {
  const out: string[] = [];
  for (const meta of result.outputs) {
    const h = d.tableCache.acquire(meta);
    try {
      const it = h.reader.iterator();
      for (it.seekToFirst(); it.valid; it.next()) out.push(`${hex(it.key())}=${hex(it.value())}`);
    } finally {
      h.release();
    }
  }
  return out;
}

const metaShape = (m: FileMeta): unknown => ({ ...m, fileNum: 0, smallest: hex(m.smallest), largest: hex(m.largest) });

describe('flush fast path', () => {
  it('writes the same entries and metadata as the general merge', async () => {
    const rng = new Rng(testSeed('flush fast path'));
    const checksum = await loadChecksum();
    for (let round = 0; round < 20; round++) {
      const mem = new Memtable(1);
      let seq = 1;
      const keys = rng.range(1, 400);
      for (let i = 0; i < keys * 3; i++) {
        const key = new TextEncoder().encode(`k${rng.int(keys)}`);
        const table = rng.range(1, 3);
        if (rng.chance(0.2)) mem.add(seq++, Kind.Delete, tableKey(table, key), new Uint8Array(0));
        else mem.add(seq++, Kind.Put, tableKey(table, key), rng.bytes(rng.chance(0.05) ? rng.range(300, 3000) : rng.int(120)));
      }
      const fs = new MemFileSystem();
      const fast = deps(fs, checksum, '/fast', []);
      const general = deps(fs, checksum, '/general', []);
      const a = await flushFrozen(mem.frozen(), [], fast);
      const b = await runFlushFrom(new FrozenIterator(mem.frozen()), [], general);
      assert.deepEqual(contents(fast, a), contents(general, b), `round ${round}`);
      assert.deepEqual(a.outputs.map(metaShape), b.outputs.map(metaShape));
      assert.deepEqual({ ...a, outputs: [] }, { ...b, outputs: [] });
      assert.ok(a.entriesOut < a.entriesIn || keys * 3 === a.entriesIn);
    }
  });

  it('with a snapshot or a range tombstone, keeps what the general rules keep', async () => {
    const checksum = await loadChecksum();
    const mem = new Memtable(1);
    const k = tableKey(1, new TextEncoder().encode('a'));
    mem.add(1, Kind.Put, k, Uint8Array.of(1));
    mem.add(2, Kind.Put, k, Uint8Array.of(2));
    mem.add(3, Kind.Put, k, Uint8Array.of(3));
    const fs = new MemFileSystem();
    const withSnapshot = deps(fs, checksum, '/snap', [1]);
    const r = await flushFrozen(mem.frozen(), [], withSnapshot);
    assert.deepEqual(
      contents(withSnapshot, r).map((e) => e.split('=')[1]),
      ['03', '01'],
      'the version the snapshot at seq 1 reads survives',
    );
    const plain = deps(fs, checksum, '/plain', []);
    assert.deepEqual(
      contents(plain, await flushFrozen(mem.frozen(), [], plain)).map((e) => e.split('=')[1]),
      ['03'],
    );
  });
});
