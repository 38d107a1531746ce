import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const xs = Array.from({ length: 50 }, () => a.u32());
    assert.deepEqual(xs, Array.from({ length: 50 }, () => b.u32()));
    assert.notDeepEqual(xs, Array.from({ length: 50 }, () => c.u32()));
    assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32));
  });

  it('int(n) stays in range and covers it about evenly', () => {
    const rng = new Rng(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = rng.int(10);
      counts[x] = (counts[x] ?? 0) + 1;
    }
    for (const c of counts) assert.ok(c > 9_500 && c < 10_500, `bucket count ${c} is far from 10000`);
    assert.equal(rng.int(1), 0);
    assert.ok(rng.int(2 ** 32) < 2 ** 32);
  });

  it('float, chance, bytes, pick, shuffle and fork behave', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 1000; i++) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
    }
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (rng.chance(0.25)) hits++;
    assert.ok(hits > 2_200 && hits < 2_800, `chance(0.25) hit ${hits} of 10000`);
    assert.equal(rng.bytes(13).length, 13);
    assert.ok(['a', 'b'].includes(rng.pick(['a', 'b'])));
    const items = [1, 2, 3, 4, 5, 6];
    assert.deepEqual([...rng.shuffle([...items])].sort(), items);
    const f1 = new Rng(5).fork();
    const f2 = new Rng(5).fork();
    assert.equal(f1.u32(), f2.u32(), 'forks of equal generators are equal');
  });

  it('rejects bad seeds and bounds', () => {
    assert.throws(() => new Rng(-1), RangeError);
    assert.throws(() => new Rng(1.5), RangeError);
    assert.throws(() => new Rng(2 ** 32), RangeError);
    const rng = new Rng(1);
    assert.throws(() => rng.int(0), RangeError);
    assert.throws(() => rng.int(2.5), RangeError);
    assert.throws(() => rng.pick([]), RangeError);
  });
});
