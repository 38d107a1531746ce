// Seeded random workloads against a sorted-map model, sized so the tree grows
// several levels deep on 1 KiB pages, splits, merges, collapses, spills values
// to overflow runs and reuses freed pages. After each round the whole table is
// compared both ways, sampled gets are checked, and verify() checks the file.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareBytes, toHex, type WriteOp } from '@strata/engine';
import { collect } from '@strata/engine/testing';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BtreeEngine } from './btree-engine.js';

const TABLES = ['a', 'b'];

const KEY_SPACE = 8000;

function keyOf(rng: Rng, n = rng.int(KEY_SPACE)): Uint8Array {
  // Mostly short keys from a small space (so overwrites and deletes hit), some long ones.
  const base = new TextEncoder().encode(`k${String(n).padStart(5, '0')}`);
  if (!rng.chance(0.1)) return base;
  const long = new Uint8Array(base.length + rng.range(20, 200));
  long.set(base);
  long.fill(0x41 + rng.int(3), base.length);
  return long;
}

function valueOf(rng: Rng): Uint8Array {
  const r = rng.float();
  const len = r < 0.7 ? rng.range(0, 40) : r < 0.95 ? rng.range(40, 400) : rng.range(400, 5000);
  return rng.bytes(len);
}

class Model {
  readonly tables = new Map<string, Map<string, Uint8Array>>(TABLES.map((t) => [t, new Map()]));
  apply(op: WriteOp): void {
    const t = this.tables.get(op.table) as Map<string, Uint8Array>;
    if (op.type === 'put') t.set(toHex(op.key), op.value);
    else if (op.type === 'delete') t.delete(toHex(op.key));
    else for (const k of [...t.keys()]) if (k >= toHex(op.start) && k < toHex(op.end)) t.delete(k);
  }
  sorted(table: string): [string, string][] {
    return [...(this.tables.get(table) as Map<string, Uint8Array>)].map(([k, v]): [string, string] => [k, toHex(v)]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  }
}

describe('BtreeEngine against a model, 1 KiB pages', () => {
  it('random puts, deletes and range deletes over thousands of keys match the model, and verify() passes', async () => {
    const seed = testSeed('btree tree-model');
    const rng = new Rng(seed);
    const fs = new MemFileSystem();
    const open = (): Promise<BtreeEngine> => BtreeEngine.open({ fs, dir: '/db', tables: TABLES, pageSize: 1024, cacheBytes: 16 * 1024, syncEveryBytes: 64 * 1024 });
    let db = await open();
    const model = new Model();
    let maxDepth = 0;
    try {
      for (let round = 0; round < 30; round++) {
        const phase = round % 10 < 6 ? 'grow' : round % 10 < 9 ? 'shrink' : 'wipe';
        const pending: Promise<void>[] = [];
        for (let b = 0; b < 80; b++) {
          const ops: WriteOp[] = [];
          for (let i = rng.range(1, 12); i > 0; i--) {
            const table = TABLES[rng.int(TABLES.length)] as string;
            const r = rng.float();
            if (phase === 'wipe' && i === 1 && b === 0) {
              ops.push({ type: 'deleteRange', table, start: new Uint8Array(0), end: new Uint8Array([0xff]) });
            } else if (r < (phase === 'grow' ? 0.8 : 0.3)) {
              ops.push({ type: 'put', table, key: keyOf(rng), value: valueOf(rng) });
            } else if (r < 0.93) {
              ops.push({ type: 'delete', table, key: keyOf(rng) });
            } else {
              // Narrow ranges, so the tables keep growing: up to a few hundred keys, sometimes whole subtrees.
              const from = rng.int(KEY_SPACE);
              const [x, y] = [keyOf(rng, from), keyOf(rng, Math.min(KEY_SPACE - 1, from + rng.range(1, 400)))].sort(compareBytes) as [Uint8Array, Uint8Array];
              ops.push({ type: 'deleteRange', table, start: x, end: y });
            }
          }
          for (const op of ops) model.apply(op);
          // Several writes in flight at once share commits.
          pending.push(db.write(ops, { sync: rng.chance(0.1) }));
          if (rng.chance(0.5)) await Promise.all(pending.splice(0));
        }
        await Promise.all(pending);
        for (const t of TABLES) {
          const want = model.sorted(t);
          const got = (await collect(db.scan(t))).map((e): [string, string] => [toHex(e.key), toHex(e.value)]);
          assert.deepEqual(got, want, `seed ${seed} round ${round} table ${t}: forward scan`);
          const back = (await collect(db.scan(t, { reverse: true }))).map((e): [string, string] => [toHex(e.key), toHex(e.value)]);
          assert.deepEqual(back, [...want].reverse(), `seed ${seed} round ${round} table ${t}: reverse scan`);
          for (let i = 0; i < 50; i++) {
            const k = keyOf(rng);
            const v = await db.get(t, k);
            const m = model.tables.get(t)?.get(toHex(k));
            assert.equal(v === undefined ? undefined : toHex(v), m === undefined ? undefined : toHex(m), `seed ${seed} round ${round}: get ${toHex(k)}`);
          }
        }
        const report = await db.verify();
        for (const d of Object.values(report.depth)) maxDepth = Math.max(maxDepth, d);
        if (process.env["DBG"]) console.log(round, JSON.stringify(report), JSON.stringify(db.stats().tables));
        const s = db.stats();
        for (const t of TABLES) assert.equal(s.tables[t]?.keys, model.tables.get(t)?.size, `seed ${seed} round ${round}: key count of ${t}`);
        if (round % 7 === 6) {
          await db.close();
          db = await open();
        }
      }
      assert.ok(maxDepth >= 3, `seed ${seed}: the tree only reached depth ${maxDepth}`);
      const s = db.stats();
      assert.ok(s.pagesWritten.overflow > 0, `seed ${seed}: no value went to an overflow run`);
    } finally {
      await db.close();
    }
  });

  it('pages freed by overwrites are reused: rewriting the same keys keeps the file bounded', async () => {
    const fs = new MemFileSystem();
    const db = await BtreeEngine.open({ fs, dir: '/db', tables: ['t'], pageSize: 1024 });
    const keys = Array.from({ length: 500 }, (_, i) => new TextEncoder().encode(`key-${String(i).padStart(4, '0')}`));
    const round = (fill: number): Promise<void> => db.write(keys.map((key) => ({ type: 'put', table: 't', key, value: new Uint8Array(50).fill(fill) })), { sync: true });
    await round(1);
    const first = db.stats().pageCount;
    for (let i = 2; i < 40; i++) await round(i);
    const s = db.stats();
    // Each round frees the previous version's pages; with syncs they come back to the free list.
    assert.ok(s.pageCount <= 2 * first + 8, `file grew from ${first} to ${s.pageCount} pages`);
    assert.ok(s.freePages > 0);
    await db.close();
  });

  it('without syncs, pages freed since the last sync stay pending until syncEveryBytes forces one', async () => {
    const fs = new MemFileSystem();
    const db = await BtreeEngine.open({ fs, dir: '/db', tables: ['t'], pageSize: 1024, syncEveryBytes: 32 * 1024 });
    const key = new TextEncoder().encode('k');
    for (let i = 0; i < 200; i++) await db.write([{ type: 'put', table: 't', key, value: new Uint8Array([i]) }]);
    const s = db.stats();
    assert.ok(s.autoSyncs > 0, 'syncEveryBytes never forced a sync');
    assert.ok(s.pageCount < 64, `file grew to ${s.pageCount} pages for one key`);
    await db.close();
  });

  it('a snapshot pins its version: pages it reads are not reused while it lives', async () => {
    const fs = new MemFileSystem();
    const db = await BtreeEngine.open({ fs, dir: '/db', tables: ['t'], pageSize: 1024 });
    const enc = new TextEncoder();
    const put = (i: number, v: string): WriteOp => ({ type: 'put', table: 't', key: enc.encode(`k${String(i).padStart(4, '0')}`), value: enc.encode(v) });
    await db.write(Array.from({ length: 300 }, (_, i) => put(i, 'old')), { sync: true });
    const snap = db.snapshot();
    for (let r = 0; r < 10; r++) await db.write(Array.from({ length: 300 }, (_, i) => put(i, `new${r}`)), { sync: true });
    const old = await collect(snap.scan('t'));
    assert.equal(old.length, 300);
    assert.ok(old.every((e) => new TextDecoder().decode(e.value) === 'old'));
    snap.release();
    await db.write([put(0, 'last')], { sync: true });
    assert.ok(db.stats().freePages > 0);
    await db.close();
  });
});
