// Engine behaviour beyond the StorageEngine contract: snapshots pin what
// compaction may drop, range tombstones leave once no snapshot needs them,
// writes slow down before they stop, stats add up, synchronous reads match
// the async ones, and a chain of writes does not starve the event loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemFileSystem } from '@strata/vfs';
import { collectStrings } from '@strata/engine/testing';
import { LsmEngine } from './lsm-engine.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const k = (i: number): Uint8Array => enc.encode(`key${String(i).padStart(5, '0')}`);
const v = (s: string): Uint8Array => enc.encode(s);

async function open(options: Partial<Parameters<typeof LsmEngine.open>[0]> = {}): Promise<{ db: LsmEngine; fs: MemFileSystem }> {
  const fs = new MemFileSystem();
  const db = await LsmEngine.open({ tables: ['t'], fs, dir: '/db', writeBufferSize: 4096, targetFileSize: 4096, blockSize: 512, ...options });
  return { db, fs };
}

function sstBytes(db: LsmEngine): number {
  return db.levelFiles().reduce((n, level) => n + level.reduce((m, f) => m + f.size, 0), 0);
}

describe('LsmEngine behaviour', () => {
  it('a snapshot keeps reading overwritten and range-deleted data through compactions', async () => {
    const { db } = await open();
    for (let i = 0; i < 300; i++) await db.write([{ type: 'put', table: 't', key: k(i), value: v(`old${i}`) }]);
    const snap = db.snapshot();
    await db.write([{ type: 'deleteRange', table: 't', start: k(0), end: k(200) }]);
    for (let i = 200; i < 300; i++) await db.write([{ type: 'put', table: 't', key: k(i), value: v(`new${i}`) }]);
    await db.compactAll();
    assert.equal(dec.decode(await snap.get('t', k(5))), 'old5');
    assert.equal(dec.decode(await snap.get('t', k(250))), 'old250');
    assert.equal((await collectStrings(snap.scan('t'))).length, 300);
    assert.equal(await db.get('t', k(5)), undefined);
    assert.equal(dec.decode(await db.get('t', k(250))), 'new250');
    const pinned = sstBytes(db);
    snap.release();
    await db.compactAll();
    // With the snapshot gone, the deleted and overwritten versions and the tombstone are dropped.
    assert.ok(sstBytes(db) < pinned / 2, `space reclaimed: ${sstBytes(db)} < ${pinned} / 2`);
    const files = db.levelFiles().flat();
    assert.equal(files.reduce((n, f) => n + f.rangeDels, 0), 0, 'no range tombstone survives a bottommost compaction without snapshots');
    assert.equal(files.reduce((n, f) => n + f.entries, 0), 100);
    await assert.rejects(snap.get('t', k(1)), { code: 'Closed' });
    await db.close();
  });

  it('scanSync and getSync read the same as scan and get', async () => {
    const { db } = await open();
    for (let i = 0; i < 500; i += 3) await db.write([{ type: 'put', table: 't', key: k(i), value: v(`v${i}`) }]);
    await db.write([{ type: 'deleteRange', table: 't', start: k(100), end: k(130) }]);
    await db.flush();
    for (let i = 1; i < 500; i += 7) await db.write([{ type: 'put', table: 't', key: k(i), value: v(`w${i}`) }]);
    for (const options of [{}, { reverse: true }, { start: k(50), end: k(300), limit: 17 }, { prefix: enc.encode('key001') }]) {
      const sync = [...db.scanSync('t', options)].map((e) => [dec.decode(e.key), dec.decode(e.value)]);
      assert.deepEqual(sync, await collectStrings(db.scan('t', options)));
    }
    for (let i = 0; i < 500; i += 11) assert.deepEqual(db.getSync('t', k(i)), await db.get('t', k(i)));
    await db.close();
  });

  it('writes slow down as L0 fills, before they would stop', async () => {
    const { db } = await open({ l0CompactionTrigger: 2, l0SlowdownTrigger: 3, l0StopTrigger: 50, delayedWriteRate: 64 * 1024, compaction: { style: 'tiered', minMergeWidth: 40 } });
    for (let i = 0; i < 3000; i++) await db.write([{ type: 'put', table: 't', key: k(i % 700), value: v('x'.repeat(40)) }]);
    const s = db.stats();
    assert.ok(s.writes.slowdowns > 0, 'slowdowns are counted');
    assert.ok(s.writes.stallMicros > 0, 'stall time is counted');
    await db.close();
  });

  it('stats add up: levels, write amplification, reads', async () => {
    const { db } = await open();
    for (let i = 0; i < 2000; i++) await db.write([{ type: 'put', table: 't', key: k(i % 500), value: v('y'.repeat(50)) }]);
    await db.flush();
    await db.waitForCompactions();
    for (let i = 0; i < 100; i++) await db.get('t', k(i * 7));
    const s = db.stats();
    assert.equal(s.writes.ops, 2000);
    assert.ok(s.writes.userBytes >= 2000 * 58);
    assert.ok(s.writes.walBytes > s.writes.userBytes);
    assert.ok(s.writes.flushes > 0 && s.writes.flushBytes > 0);
    assert.ok(Math.abs(s.writeAmplification - (s.writes.flushBytes + s.writes.compactionBytesWritten) / s.writes.userBytes) < 1e-9);
    assert.ok(s.totalWriteAmplification > s.writeAmplification);
    assert.equal(s.levels.reduce((n, l) => n + l.bytes, 0), sstBytes(db));
    assert.ok(s.spaceAmplification >= 1);
    assert.equal(s.writes.gets, 100);
    assert.ok(s.tablesPerGet > 0);
    const report = db.statsReport();
    for (const want of ['Write amplification', 'Space amplification', 'Block cache', 'Stalls', 'L0']) assert.ok(report.includes(want), want);
    await db.close();
  });

  it('a chain of awaited writes lets the event loop turn (timers and background work run)', async () => {
    const { db } = await open({ writeBufferSize: 1 << 20 });
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 1);
    let firedAfter = -1;
    for (let i = 0; i < 20000 && firedAfter < 0; i++) {
      await db.write([{ type: 'put', table: 't', key: k(i), value: v('z') }]);
      if (fired) firedAfter = i;
    }
    assert.ok(firedAfter >= 0, 'a 1 ms timer fired while the writes went on');
    await db.close();
  });

  it('a table cache smaller than the tables a scan holds still serves every read', async () => {
    const { db } = await open({ maxOpenFiles: 1, disableAutoCompactions: true });
    for (let f = 0; f < 5; f++) {
      for (let i = f; i < 200; i += 5) await db.write([{ type: 'put', table: 't', key: k(i), value: v(`f${f}`) }]);
      await db.flush();
    }
    assert.ok(db.levelFiles()[0]!.length >= 5, 'five L0 tables');
    const scanned = await collectStrings(db.scan('t'));
    assert.equal(scanned.length, 200);
    for (let i = 0; i < 200; i += 13) assert.equal(dec.decode(db.getSync('t', k(i))), `f${i % 5}`);
    await db.compactAll();
    assert.equal((await collectStrings(db.scan('t'))).length, 200);
    await db.close();
  });

  it('rejects bad options with InvalidArgument', async () => {
    const fs = new MemFileSystem();
    for (const bad of [{ writeBufferSize: 10 }, { compression: 'zstd' }, { compaction: { style: 'fifo' } }, { blockSize: -1 }, { l0StopTrigger: 1, l0SlowdownTrigger: 5 }]) {
      await assert.rejects(LsmEngine.open({ tables: ['t'], fs, dir: '/db', ...(bad as object) }), { code: 'InvalidArgument' }, JSON.stringify(bad));
    }
  });
});
