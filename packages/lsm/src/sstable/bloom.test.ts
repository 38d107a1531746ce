// The bloom filter: the hash is murmur3 x86_32 (pinned by reference
// vectors, since it is part of the format), there are no false negatives,
// the false-positive rate at 10 bits/key is under 2%, and a filter with a
// probe count it does not understand answers "maybe".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { bloomAdd, BloomBuilder, bloomHash, bloomMayContain, bloomProbes, newBloomFilter } from './bloom.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('bloom filter', () => {
  it('hashes with murmur3 x86_32 (reference vectors)', () => {
    assert.equal(bloomHash(new Uint8Array(0), 0, 0, 0), 0);
    assert.equal(bloomHash(new Uint8Array(0), 0, 0, 1), 0x514e28b7);
    assert.equal(bloomHash(text('test'), 0, 4, 0), 0xba6bd213);
    assert.equal(bloomHash(text('Hello, world!'), 0, 13, 1234), 0xfaf6cdb3);
    const fox = text('The quick brown fox jumps over the lazy dog');
    assert.equal(bloomHash(fox, 0, fox.length, 0x9747b28c), 0x2fa826cd);
    // A sub-range hashes like the same bytes on their own.
    const framed = text('xxtestyy');
    assert.equal(bloomHash(framed, 2, 6, 0), 0xba6bd213);
  });

  it('sets the bits the format doc specifies (golden bytes)', () => {
    const GOLDEN =
      '000000000010000061100000000000000408000000000000000000000004000010000000000000000a820000000000004000000000010000082000000000000006';
    const b = new BloomBuilder(10);
    for (const k of ['a', 'b', 'key-1']) b.add(text(k));
    const filter = b.finish();
    // One 512-bit block (the minimum) and k = 6; see docs/format/sstable.md, "Filter block".
    assert.equal(filter.length, 64 + 1);
    assert.equal(filter[64], 6);
    // The same from the documented formula.
    const fmix = (h: number): number => {
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      return (h ^ (h >>> 16)) >>> 0;
    };
    const bits = new Uint8Array(64);
    for (const k of ['a', 'b', 'key-1']) {
      const h = bloomHash(text(k));
      const h2 = fmix(h ^ 0x9e3779b9);
      const step = (h2 >>> 9) | 1;
      for (let j = 0; j < 6; j++) {
        const bit = (h2 + j * step) % 512;
        bits[bit >> 3] = (bits[bit >> 3] as number) | (1 << (bit & 7));
      }
    }
    assert.equal(Buffer.from(filter.subarray(0, 64)).toString('hex'), Buffer.from(bits).toString('hex'));
    assert.equal(Buffer.from(filter).toString('hex'), GOLDEN);
  });

  it('has no false negatives and under 2% false positives at 10 bits/key on 100k absent keys', () => {
    const rng = new Rng(testSeed('bloom fp rate'));
    const n = 20_000;
    const keys = Array.from({ length: n }, () => rng.bytes(16));
    const b = new BloomBuilder(10);
    for (const k of keys) b.add(k);
    const filter = b.finish();
    assert.equal(filter.length, b.estimatedSize);
    assert.equal(filter[filter.length - 1], bloomProbes(10));
    for (const k of keys) assert.ok(bloomMayContain(filter, k), 'false negative');
    let fp = 0;
    const absent = 100_000;
    for (let i = 0; i < absent; i++) {
      // Random 16-byte keys: one equal to an added key is a 2^-110 event.
      if (bloomMayContain(filter, rng.bytes(16))) fp++;
    }
    const rate = fp / absent;
    console.log(`# bloom: ${(rate * 100).toFixed(2)}% false positives at 10 bits/key`);
    assert.ok(rate < 0.02, `false-positive rate ${rate}`);
  });

  it('answers maybe for every key when k is 0 or beyond the limit, or the filter is too short', () => {
    const filter = newBloomFilter(100, 10); // all zero bits: a real k says "absent" for everything
    assert.equal(bloomMayContain(filter, text('k')), false);
    for (const k of [0, 31, 255]) {
      filter[filter.length - 1] = k;
      assert.equal(bloomMayContain(filter, text('k')), true, `k=${k}`);
    }
    assert.equal(bloomMayContain(new Uint8Array(0), text('k')), true);
    assert.equal(bloomMayContain(Uint8Array.of(6), text('k')), true);
  });

  it('an empty filter rejects everything; bloomAdd and the builder agree', () => {
    const empty = new BloomBuilder(10).finish();
    assert.equal(bloomMayContain(empty, text('a')), false);
    const direct = newBloomFilter(3, 10);
    const b = new BloomBuilder(10);
    for (const k of ['a', 'b', 'c']) {
      bloomAdd(direct, text(k));
      b.add(text(k));
    }
    assert.deepEqual(b.finish(), direct);
  });
});
