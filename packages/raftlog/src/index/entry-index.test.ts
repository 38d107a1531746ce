// The columnar entry index against a plain model (a map from index to term
// and location), over seeded random appends, truncations and compactions.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgument } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { EntryIndex, type EntryLocation } from './entry-index.js';

interface ModelEntry {
  readonly term: number;
  readonly loc: EntryLocation;
}

describe('entry index', () => {
  it('matches a plain model over random appends, truncations and compactions', () => {
    const seed = testSeed('raftlog entry index');
    const rng = new Rng(seed);
    for (let round = 0; round < 40; round++) {
      const idx = new EntryIndex();
      const model = new Map<number, ModelEntry>();
      let first = 1;
      let last = 0;
      let term = 1;
      let segment = 1;
      for (let step = 0; step < 400; step++) {
        const op = rng.int(10);
        if (op < 6) {
          // Append from somewhere in [first, last + 1] (any start when empty).
          const start = last < first ? first + rng.int(3) : rng.range(Math.max(first, last - 5), last + 2);
          if (start <= last) {
            // Overwriting a suffix: terms must still not decrease.
            term = Math.max(term, model.get(start - 1)?.term ?? 0);
          }
          if (rng.chance(0.3)) term += 1;
          if (rng.chance(0.1)) segment += 1;
          const n = rng.range(1, 30);
          const frame = rng.int(2 ** 32);
          const terms: number[] = [];
          const locs: EntryLocation[] = [];
          for (let i = 0; i < n; i++) {
            if (rng.chance(0.05)) term += 1;
            terms.push(term);
            locs.push({ segment, frame, offset: rng.int(2 ** 20), length: rng.int(2 ** 24) });
          }
          idx.append(start, terms, segment, frame, locs.map((l) => l.offset), locs.map((l) => l.length));
          for (let i = start; i <= last; i++) model.delete(i);
          for (let i = 0; i < n; i++) model.set(start + i, { term: terms[i] as number, loc: locs[i] as EntryLocation });
          if (last < first) first = start;
          last = start + n - 1;
        } else if (op < 8) {
          const from = rng.range(Math.max(1, first - 2), last + 3);
          idx.truncate(from);
          for (let i = from; i <= last; i++) model.delete(i);
          if (from <= last) last = Math.max(first - 1, from - 1);
        } else {
          const to = rng.range(first, last + 4);
          idx.compactTo(to);
          for (let i = first; i < to; i++) model.delete(i);
          if (to > first) first = to;
          if (last < first) last = first - 1;
        }
        const ctx = `seed ${seed} round ${round} step ${step}`;
        assert.equal(idx.count, model.size, ctx);
        if (model.size > 0) {
          assert.equal(idx.firstIndex, first, ctx);
          assert.equal(idx.lastIndex, last, ctx);
        }
        for (let i = first - 2; i <= last + 2; i++) {
          const m = model.get(i);
          assert.equal(idx.term(i), m?.term, `${ctx}: term(${i})`);
          assert.deepEqual(idx.location(i), m?.loc, `${ctx}: location(${i})`);
        }
        const segs = [...model.values()].map((e) => e.loc.segment);
        assert.equal(idx.oldestSegment(), segs.length === 0 ? undefined : Math.min(...segs), ctx);
      }
    }
  });

  it('holds a million entries in about 16 bytes each', () => {
    const idx = new EntryIndex();
    const terms = new Array<number>(1000).fill(3);
    const offsets = Array.from({ length: 1000 }, (_, i) => i * 1024);
    const lengths = new Array<number>(1000).fill(1024);
    for (let b = 0; b < 1000; b++) idx.append(1 + b * 1000, terms, 1, b * 1_100_000, offsets, lengths);
    assert.equal(idx.count, 1_000_000);
    const perEntry = idx.memoryBytes / idx.count;
    assert.ok(perEntry >= 16 && perEntry <= 40, `${perEntry.toFixed(1)} bytes per entry`);
  });

  it('refuses gaps, appends below the first entry, terms falling within an append and older segments, changing nothing', () => {
    const idx = new EntryIndex();
    idx.append(10, [2, 3], 4, 0, [0, 1], [1, 1]);
    assert.throws(() => idx.append(13, [3], 4, 9, [0], [1]), InvalidArgument);
    assert.throws(() => idx.append(9, [3], 4, 9, [0], [1]), InvalidArgument);
    assert.throws(() => idx.append(11, [3, 2], 4, 9, [0, 1], [1, 1]), InvalidArgument);
    assert.throws(() => idx.append(12, [3, 3], 4, 9, [0], [1]), InvalidArgument);
    assert.throws(() => idx.append(12, [3], 3, 9, [0], [1]), InvalidArgument);
    assert.equal(idx.lastIndex, 11);
    assert.equal(idx.term(11), 3, 'a refused overwrite of 11 left it in place');
    assert.deepEqual(idx.location(11), { segment: 4, frame: 0, offset: 1, length: 1 });
  });
});
