// Blocks: what the builder writes, decodeBlock reads back, entry for entry,
// at every restart interval; seeks agree with a sorted model; and a
// malformed payload throws Corruption rather than misreading or looping.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { compareInternal, internalKey, Kind, tableKey } from '../keys/internal-key.js';
import { BlockBuilder } from './block-builder.js';
import { BlockIterator } from './block-iterator.js';
import { decodeBlock, type Block } from './block.js';
import { randomEntries, randomTableKey, type TestEntry } from './fixtures.js';

const origin = { file: 'blk', offset: 4096 };

function build(entries: readonly TestEntry[], interval: number): Uint8Array {
  const b = new BlockBuilder(interval);
  for (const e of entries) b.add(e.ikey, e.value);
  const out = b.finish();
  assert.equal(out.length, b.estimatedSize);
  return out;
}

function restartCount(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset).getUint32(payload.length - 4, true);
}

/** Model lower bound: first index with key >= probe (or > probe when `strict`). */
function modelBound(entries: readonly TestEntry[], probe: Uint8Array, strict: boolean): number {
  const i = entries.findIndex((e) => (strict ? compareInternal(e.ikey, probe) > 0 : compareInternal(e.ikey, probe) >= 0));
  return i < 0 ? entries.length : i;
}

function assertSame(block: Block, entries: readonly TestEntry[]): void {
  assert.equal(block.count, entries.length);
  entries.forEach((e, i) => {
    assert.deepEqual(block.key(i), e.ikey, `key ${i}`);
    assert.deepEqual(block.value(i), e.value, `value ${i}`);
  });
}

describe('block', () => {
  it('round-trips seeded random keys, and seeks agree with the sorted model forward and backward', () => {
    const rng = new Rng(testSeed('block round trip'));
    for (const interval of [1, 2, 3, 16]) {
      const entries = randomEntries(rng, 150);
      const block = decodeBlock(build(entries, interval), origin);
      assertSame(block, entries);
      const it = new BlockIterator(block);
      const forward: TestEntry[] = [];
      for (it.seekToFirst(); it.valid; it.next()) forward.push({ ikey: it.key(), value: it.value() });
      assert.deepEqual(forward, entries);
      const reversed: Uint8Array[] = [];
      for (it.seekToLast(); it.valid; it.prev()) reversed.push(it.key());
      assert.deepEqual(reversed, entries.map((e) => e.ikey).reverse());
      for (let n = 0; n < 300; n++) {
        const probe = rng.chance(0.5)
          ? rng.pick(entries).ikey
          : internalKey(randomTableKey(rng), rng.range(0, 120_000), rng.chance(0.5) ? Kind.Put : Kind.Delete);
        const lb = modelBound(entries, probe, false);
        assert.equal(block.lowerBound(probe), lb, 'lowerBound');
        it.seek(probe);
        assert.deepEqual(it.valid ? it.key() : undefined, entries[lb]?.ikey, 'seek');
        const ub = modelBound(entries, probe, true);
        assert.equal(block.upperBound(probe), ub, 'upperBound');
        it.seekForPrev(probe);
        assert.deepEqual(it.valid ? it.key() : undefined, entries[ub - 1]?.ikey, 'seekForPrev');
      }
    }
  });

  it('puts a restart every N entries, and blocks of every size up to 3N+1 decode', () => {
    const rng = new Rng(testSeed('block restarts'));
    const all = randomEntries(rng, 80);
    for (const interval of [1, 2, 3, 4, 16]) {
      for (let count = 0; count <= 3 * interval + 1 && count <= all.length; count++) {
        const entries = all.slice(0, count);
        const payload = build(entries, interval);
        assert.equal(restartCount(payload), Math.ceil(count / interval), `interval ${interval}, ${count} entries`);
        const block = decodeBlock(payload, origin);
        assertSame(block, entries);
        entries.forEach((e, i) => assert.equal(block.lowerBound(e.ikey), i));
      }
    }
  });

  it('shares key prefixes between restarts only', () => {
    const keys = ['aaaa1', 'aaaa2', 'aaaa3'].map((k, i) => ({ ikey: internalKey(tableKey(1, new TextEncoder().encode(k)), 10 - i, Kind.Put), value: Uint8Array.of(i) }));
    const shared = build(keys, 16);
    const unshared = build(keys, 1);
    assert.ok(shared.length < unshared.length);
    assertSame(decodeBlock(shared, origin), keys);
    assertSame(decodeBlock(unshared, origin), keys);
  });

  it('rejects malformed payloads with Corruption: bad counts, overruns, order, kinds', () => {
    const k = (s: string, seq: number, kind: number = Kind.Put): Uint8Array => {
      const key = internalKey(tableKey(1, new TextEncoder().encode(s)), seq, Kind.Put);
      key[key.length - 1] = kind;
      return key;
    };
    const good = build([{ ikey: k('a', 1), value: Uint8Array.of(1) }, { ikey: k('b', 1), value: Uint8Array.of(2) }], 16);
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['huge restart count', Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f)],
      ['entries but no restarts', Uint8Array.from([...good.subarray(0, good.length - 8), 0, 0, 0, 0])],
      ['out of order', build([{ ikey: k('b', 1), value: new Uint8Array(0) }, { ikey: k('a', 1), value: new Uint8Array(0) }], 16)],
      ['duplicate key', build([{ ikey: k('a', 1), value: new Uint8Array(0) }, { ikey: k('a', 1), value: new Uint8Array(0) }], 16)],
      ['unknown kind', build([{ ikey: k('a', 1, 7), value: new Uint8Array(0) }], 16)],
      ['short key', build([{ ikey: Uint8Array.of(1, 2, 3), value: new Uint8Array(0) }], 16)],
    ];
    const overrun = good.slice();
    overrun[1] = 200; // unshared length runs past the entries
    cases.push(['overrun', overrun]);
    const badShared = good.slice();
    badShared[0] = 1; // the first entry claims to share a byte
    cases.push(['shared at restart', badShared]);
    for (const [name, payload] of cases) {
      assert.throws(() => decodeBlock(payload, origin), (err: unknown) => {
        assert.ok(err instanceof Error && 'code' in err && err.code === 'Corruption', `${name}: ${String(err)}`);
        return true;
      });
    }
  });

  it('seeded mutations of a payload either decode or throw Corruption, never anything else', () => {
    const rng = new Rng(testSeed('block fuzz'));
    const payload = build(randomEntries(rng, 40), 4);
    for (let n = 0; n < 3000; n++) {
      const bad = payload.slice(0, rng.chance(0.2) ? rng.int(payload.length + 1) : payload.length);
      const flips = rng.range(1, 4);
      for (let f = 0; f < flips && bad.length > 0; f++) bad[rng.int(bad.length)] = rng.int(256);
      try {
        const block = decodeBlock(bad, origin);
        for (let i = 0; i < block.count; i++) block.value(i);
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'Corruption', String(err));
      }
    }
  });
});
