// The block cache stays within its byte budget, evicts by CLOCK (the oldest
// unreferenced block first; a hit earns a block a second chance), drops a
// file's blocks on evictFile, and caches nothing at capacity 0. Kept handles
// go stale on eviction. A seeded run checks it against a model.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BlockCache } from './block-cache.js';

describe('block cache', () => {
  it('evicts the oldest unreferenced entry; a hit gives an entry a second chance', () => {
    const c = new BlockCache<string>(300);
    const a = c.insert(1, 0, 'a', 100);
    const b = c.insert(1, 100, 'b', 100);
    c.insert(1, 200, 'c', 100);
    assert.equal(c.get(1, 0), 'a'); // a is referenced
    c.insert(2, 0, 'd', 100); // a gets its second chance; b, the oldest unreferenced, goes
    assert.equal(b?.cached, false);
    assert.equal(a?.cached, true);
    assert.equal(c.get(1, 100), undefined);
    assert.ok(a !== undefined);
    assert.equal(c.touch(a), 'a');
    assert.equal(c.get(1, 200), 'c');
    assert.equal(c.get(2, 0), 'd');
    let s = c.stats();
    assert.deepEqual({ hits: s.hits, misses: s.misses, bytes: s.bytes, entries: s.entries, evictions: s.evictions }, { hits: 4, misses: 1, bytes: 300, entries: 3, evictions: 1 });
    // Everything referenced (order c, a, d): one sweep clears the bits, then the oldest, c, goes.
    c.insert(3, 0, 'e', 100);
    s = c.stats();
    assert.equal(s.evictions, 2);
    assert.equal(c.peek(1, 200), undefined);
    assert.equal(a?.cached, true);
    assert.equal(c.peek(2, 0), 'd');
  });

  it('evictFile drops only that file; capacity 0 and oversized charges cache nothing', () => {
    const c = new BlockCache<string>(1000);
    c.insert(1, 0, 'a', 10);
    c.insert(2, 0, 'b', 10);
    c.insert(1, 4096, 'c', 10);
    c.evictFile(1);
    assert.equal(c.get(1, 0), undefined);
    assert.equal(c.get(1, 4096), undefined);
    assert.equal(c.get(2, 0), 'b');
    assert.equal(c.stats().bytes, 10);
    c.insert(3, 0, 'big', 1001);
    assert.equal(c.get(3, 0), undefined);
    const off = new BlockCache<string>(0);
    off.insert(1, 0, 'a', 1);
    assert.equal(off.get(1, 0), undefined);
    assert.equal(off.stats().entries, 0);
  });

  it('matches a CLOCK model under seeded random use and never exceeds its budget', () => {
    const rng = new Rng(testSeed('block cache model'));
    const capacity = 5000;
    const c = new BlockCache<number>(capacity);
    // Oldest first; a hit sets ref; eviction sends referenced entries to the back with ref cleared.
    const model: { key: string; value: number; charge: number; ref: boolean }[] = [];
    for (let n = 0; n < 20_000; n++) {
      const file = rng.int(5);
      const offset = rng.int(40) * 4096;
      const key = `${file}/${offset}`;
      const op = rng.int(10);
      if (op < 5) {
        const e = model.find((x) => x.key === key);
        const got = c.get(file, offset);
        if (e === undefined) assert.equal(got, undefined);
        else {
          assert.equal(got, e.value);
          e.ref = true;
        }
      } else if (op < 9) {
        const charge = rng.range(1, 800);
        const i = model.findIndex((e) => e.key === key);
        if (i >= 0) model.splice(i, 1);
        let bytes = model.reduce((s, e) => s + e.charge, 0);
        while (bytes + charge > capacity) {
          const oldest = model.shift() as (typeof model)[number];
          if (oldest.ref) {
            oldest.ref = false;
            model.push(oldest);
          } else {
            bytes -= oldest.charge;
          }
        }
        model.push({ key, value: n, charge, ref: false });
        c.insert(file, offset, n, charge);
      } else {
        c.evictFile(file);
        for (let i = model.length - 1; i >= 0; i--) if (model[i]?.key.startsWith(`${file}/`)) model.splice(i, 1);
      }
      const s = c.stats();
      assert.ok(s.bytes <= capacity);
      assert.equal(s.bytes, model.reduce((sum, e) => sum + e.charge, 0));
      assert.equal(s.entries, model.length);
    }
    for (const e of model) {
      const [file, offset] = e.key.split('/').map(Number) as [number, number];
      assert.equal(c.peek(file, offset), e.value);
    }
  });
});
