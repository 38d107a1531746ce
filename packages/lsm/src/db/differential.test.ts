// Differential test: one seeded random workload runs against MemoryEngine
// (the reference) and several LSM configurations at once — leveled with
// fanout 4 and 10, tiered, all with tiny memtables and files so the workload
// forces many flushes and compactions — and every scan, get and snapshot
// read must agree exactly, including across reopens.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemFileSystem, NodeFileSystem, Rng } from '@strata/vfs';
import { makeTempDir, testSeed } from '@strata/vfs/testing';
import { MemoryEngine, type ScanOptions, type Snapshot, type StorageEngine, type WriteOp } from '@strata/engine';
import { collectStrings, s as str } from '@strata/engine/testing';
import { LsmEngine } from './lsm-engine.js';
import type { LsmOptions } from './options.js';

const TABLES = ['a', 'b'];
const small: Partial<LsmOptions> = { writeBufferSize: 4096, targetFileSize: 2048, blockSize: 512, l0CompactionTrigger: 3 };
const configs: { name: string; options: Partial<LsmOptions>; disk?: boolean }[] = [
  { name: 'leveled k=4', options: { ...small, compaction: { style: 'leveled', fanout: 4, levelBaseBytes: 8192 } } },
  { name: 'leveled k=10', options: { ...small, compaction: { style: 'leveled', fanout: 10, levelBaseBytes: 8192 } } },
  { name: 'tiered', options: { ...small, compaction: { style: 'tiered' } } },
  { name: 'tiered, no compression, no filter', options: { ...small, compression: 'none', bloomBitsPerKey: 0, compaction: { style: 'tiered', sizeRatio: 20 } } },
  { name: 'leveled k=4, real disk, compaction thread', options: { ...small, compaction: { style: 'leveled', fanout: 4, levelBaseBytes: 8192 } }, disk: true },
];

const enc = new TextEncoder();

function key(rng: Rng): Uint8Array {
  const n = rng.int(400);
  return enc.encode(rng.chance(0.1) ? `k${n}/${'long'.repeat(rng.int(10))}` : `k${String(n).padStart(3, '0')}`);
}

function batch(rng: Rng): WriteOp[] {
  const ops: WriteOp[] = [];
  const n = rng.chance(0.2) ? rng.range(5, 40) : rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const table = rng.pick(TABLES);
    const r = rng.float();
    if (r < 0.75) ops.push({ type: 'put', table, key: key(rng), value: rng.bytes(rng.int(rng.chance(0.05) ? 3000 : 120)) });
    else if (r < 0.95) ops.push({ type: 'delete', table, key: key(rng) });
    else {
      const [start, end] = [key(rng), key(rng)].sort((x, y) => Buffer.compare(x, y)) as [Uint8Array, Uint8Array];
      ops.push({ type: 'deleteRange', table, start, end });
    }
  }
  return ops;
}

function scanOptions(rng: Rng): ScanOptions {
  const o: { start?: Uint8Array; end?: Uint8Array; prefix?: Uint8Array; reverse?: boolean; limit?: number } = {};
  if (rng.chance(0.5)) o.start = key(rng);
  if (rng.chance(0.5)) o.end = key(rng);
  if (o.start !== undefined && o.end !== undefined && Buffer.compare(o.start, o.end) > 0) [o.start, o.end] = [o.end, o.start];
  if (rng.chance(0.2)) o.prefix = enc.encode(`k${rng.int(4)}`);
  o.reverse = rng.chance(0.5);
  if (rng.chance(0.3)) o.limit = rng.int(50);
  return o;
}

async function compare(ref: StorageEngine | Snapshot, sut: StorageEngine | Snapshot, rng: Rng, what: string): Promise<void> {
  for (const t of TABLES) {
    assert.deepEqual(await collectStrings(sut.scan(t)), await collectStrings(ref.scan(t)), `${what}: full scan of ${t}`);
    assert.deepEqual(await collectStrings(sut.scan(t, { reverse: true })), await collectStrings(ref.scan(t, { reverse: true })), `${what}: reverse scan of ${t}`);
    for (let i = 0; i < 5; i++) {
      const o = scanOptions(rng);
      assert.deepEqual(await collectStrings(sut.scan(t, o)), await collectStrings(ref.scan(t, o)), `${what}: ranged scan of ${t}`);
    }
    const keys = Array.from({ length: 20 }, () => key(rng));
    const got = (await sut.getMulti(t, keys)).map(str);
    const want = (await ref.getMulti(t, keys)).map(str);
    assert.deepEqual(got, want, `${what}: gets in ${t}`);
  }
}

describe('LsmEngine against MemoryEngine (differential)', () => {
  for (const { name, options, disk } of configs) {
    it(`${name}: the same random workload gives identical reads`, async () => {
      const seed = testSeed(`differential (${name})`);
      const rng = new Rng(seed);
      const tmp = disk === true ? makeTempDir() : undefined;
      const fs = tmp !== undefined ? new NodeFileSystem() : new MemFileSystem();
      const dir = tmp !== undefined ? `${tmp.path}/db` : '/db';
      const open = (): Promise<LsmEngine> => LsmEngine.open({ ...options, tables: TABLES, fs, dir });
      const ref = await MemoryEngine.open({ tables: TABLES });
      let sut = await open();
      const snaps: { ref: Snapshot; sut: Snapshot; at: number }[] = [];
      // Flushes and compactions over every incarnation of the engine.
      let flushes = 0;
      let compactions = 0;
      const count = (): void => {
        const w = sut.stats().writes;
        flushes += w.flushes;
        compactions += w.compactions + w.trivialMoves;
      };
      try {
        for (let i = 1; i <= 1500; i++) {
          const ops = batch(rng);
          // Several writes in flight at once sometimes, to exercise group commit.
          if (rng.chance(0.1)) {
            const more = [ops, batch(rng), batch(rng)];
            await Promise.all(more.map((b) => sut.write(b)));
            for (const b of more) await ref.write(b);
          } else {
            await sut.write(ops, { sync: rng.chance(0.05) });
            await ref.write(ops);
          }
          if (rng.chance(0.01)) snaps.push({ ref: ref.snapshot(), sut: sut.snapshot(), at: i });
          if (rng.chance(0.005)) await sut.compactAll();
          if (rng.chance(0.004)) {
            for (const s of snaps.splice(0)) {
              s.ref.release();
              s.sut.release();
            }
            count();
            await sut.close();
            sut = await open();
          }
          if (i % 300 === 0) {
            await compare(ref, sut, rng, `seed ${seed}, after batch ${i}`);
            for (const s of snaps) await compare(s.ref, s.sut, rng, `seed ${seed}, snapshot from batch ${s.at} at ${i}`);
            const old = snaps.shift();
            old?.ref.release();
            old?.sut.release();
          }
        }
        await sut.waitForCompactions();
        await compare(ref, sut, rng, `seed ${seed}, at the end`);
        count();
        assert.ok(flushes > 10, `the workload flushed (${flushes})`);
        assert.ok(compactions > 3, `the workload compacted (${compactions})`);
        for (const s of snaps) {
          s.ref.release();
          s.sut.release();
        }
        await sut.close();
        sut = await open();
        await compare(ref, sut, rng, `seed ${seed}, after the last reopen`);
      } finally {
        await sut.close();
        await ref.close();
        tmp?.remove();
      }
    });
  }
});
