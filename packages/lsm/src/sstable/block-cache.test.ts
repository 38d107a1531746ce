// The block cache stays within its byte budget, evicts the least recently
// used block first (a hit refreshes), drops a file's blocks on evictFile,
// and caches nothing at capacity 0. A seeded run checks it against a model.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BlockCache } from './block-cache.js';

describe('block cache', () => {
  it('evicts least recently used first; a hit refreshes an entry', () => {
    const c = new BlockCache<string>(300);
    c.insert(1, 0, 'a', 100);
    c.insert(1, 100, 'b', 100);
    c.insert(1, 200, 'c', 100);
    assert.equal(c.get(1, 0), 'a'); // a is now the newest
    c.insert(2, 0, 'd', 100); // evicts b
    assert.equal(c.get(1, 100), undefined);
    assert.equal(c.get(1, 0), 'a');
    assert.equal(c.get(1, 200), 'c');
    assert.equal(c.get(2, 0), 'd');
    const s = c.stats();
    assert.deepEqual({ hits: s.hits, misses: s.misses, bytes: s.bytes, entries: s.entries, evictions: s.evictions }, { hits: 4, misses: 1, bytes: 300, entries: 3, evictions: 1 });
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

  it('matches an LRU model under seeded random use and never exceeds its budget', () => {
    const rng = new Rng(testSeed('block cache model'));
    const capacity = 5000;
    const c = new BlockCache<number>(capacity);
    const model: { key: string; value: number; charge: number }[] = []; // oldest first
    for (let n = 0; n < 20_000; n++) {
      const file = rng.int(5);
      const offset = rng.int(40) * 4096;
      const key = `${file}/${offset}`;
      const op = rng.int(10);
      if (op < 5) {
        const i = model.findIndex((e) => e.key === key);
        const got = c.get(file, offset);
        if (i < 0) assert.equal(got, undefined);
        else {
          const [e] = model.splice(i, 1);
          assert.equal(got, e?.value);
          model.push(e as (typeof model)[number]);
        }
      } else if (op < 9) {
        const charge = rng.range(1, 800);
        const i = model.findIndex((e) => e.key === key);
        if (i >= 0) model.splice(i, 1);
        let bytes = model.reduce((s, e) => s + e.charge, 0);
        while (bytes + charge > capacity) bytes -= (model.shift() as (typeof model)[number]).charge;
        model.push({ key, value: n, charge });
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
  });
});
