// Log batches: what the builder accepts, and that every batch decodes back to
// exactly what was built, with and without lz4.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError, InvalidArgument, loadChecksum } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BodyCompression, ItemKind } from './format.js';
import { decodeBatch, encodeBatch, encodeBody, decodeBody, LogBatch, type DecodedBatch, type Entry, type Item } from './log-batch.js';

await loadChecksum();

/** A decoded batch in the builder's shape, entry data copied out of the body. */
function rebuild(d: DecodedBatch): unknown[] {
  return d.items.map((it) => {
    if (it.kind !== ItemKind.Append) return it.kind === ItemKind.Put ? { ...it, key: [...it.key], value: [...it.value] } : it.kind === ItemKind.Delete ? { ...it, key: [...it.key] } : it;
    const entries = it.terms.map((term, i) => ({ index: it.firstIndex + i, term, data: [...d.body.subarray(it.offsets[i], (it.offsets[i] as number) + (it.lengths[i] as number))] }));
    return { kind: it.kind, group: it.group, entries };
  });
}

function expected(items: readonly Item[]): unknown[] {
  return items.map((it) => {
    if (it.kind === ItemKind.Append) return { kind: it.kind, group: it.group, entries: it.entries.map((e) => ({ index: e.index, term: e.term, data: [...e.data] })) };
    if (it.kind === ItemKind.Put) return { ...it, key: [...it.key], value: [...it.value] };
    if (it.kind === ItemKind.Delete) return { ...it, key: [...it.key] };
    return it;
  });
}

/** A uniform-ish integer below 2^bits, for bits up to 52 (Rng.int stops at 2^32). */
function wide(rng: Rng, bits: number): number {
  return bits <= 32 ? rng.int(2 ** bits) : rng.int(2 ** (bits - 32)) * 2 ** 32 + rng.int(2 ** 32);
}

function randomBatch(rng: Rng, compressible: boolean): LogBatch {
  const b = new LogBatch();
  const data = (n: number): Uint8Array => (compressible ? new Uint8Array(n).fill(rng.int(4)) : rng.bytes(n));
  for (let i = rng.int(8); i >= 0; i--) {
    const group = rng.chance(0.5) ? rng.int(4) : wide(rng, 40);
    switch (rng.int(6)) {
      case 0: {
        let index = 1 + wide(rng, 45);
        let term = wide(rng, 40);
        const entries: Entry[] = [];
        for (let j = rng.int(20); j >= 0; j--) {
          entries.push({ index: index++, term, data: data(rng.chance(0.1) ? rng.int(20_000) : rng.int(300)) });
          if (rng.chance(0.2)) term += rng.int(5);
        }
        b.append(group, entries);
        break;
      }
      case 1:
        b.truncate(group, 1 + rng.int(10_000));
        break;
      case 2:
        b.setHardState(group, { term: wide(rng, 50), vote: rng.int(7), commit: wide(rng, 50) });
        break;
      case 3:
        b.compactTo(group, 1 + rng.int(10_000));
        break;
      case 4:
        b.put(group, rng.bytes(rng.int(30)), data(rng.int(100)));
        break;
      default:
        b.delete(group, rng.bytes(rng.int(30)));
    }
  }
  return b;
}

describe('log batches', () => {
  it('decode to exactly what was built, compressed or not', () => {
    const seed = testSeed('raftlog batch codec');
    const rng = new Rng(seed);
    const seen = new Set<number>();
    for (let round = 0; round < 400; round++) {
      const b = randomBatch(rng, rng.chance(0.5));
      const enc = encodeBatch(b.items);
      seen.add(enc.frame[0] as number);
      const decoded = decodeBatch(enc.frame);
      assert.deepEqual(rebuild(decoded), expected(b.items), `round ${round}`);
      assert.deepEqual([...enc.body], [...decoded.body], `round ${round}: the body kept for the cache is the stored one`);
      const starts = decoded.items.flatMap((it) => (it.kind === ItemKind.Append ? [it.offsets[0]] : []));
      assert.deepEqual(enc.dataAt, starts, `round ${round}: data offsets match the decoder's`);
    }
    assert.deepEqual([...seen].sort(), [BodyCompression.None, BodyCompression.Lz4], 'both stored forms were exercised');
  });

  it('a large compressible batch is stored with lz4, an incompressible one raw', () => {
    const rng = new Rng(7);
    const big = new LogBatch().append(1, [{ index: 1, term: 1, data: new Uint8Array(64 * 1024).fill(9) }]);
    const raw = new LogBatch().append(1, [{ index: 1, term: 1, data: rng.bytes(64 * 1024) }]);
    const small = new LogBatch().append(1, [{ index: 1, term: 1, data: new Uint8Array(100).fill(9) }]);
    assert.equal(encodeBatch(big.items).frame[0], BodyCompression.Lz4);
    assert.ok(encodeBatch(big.items).frame.length < 2048);
    assert.equal(encodeBatch(raw.items).frame[0], BodyCompression.None);
    assert.equal(encodeBatch(small.items).frame[0], BodyCompression.None, 'bodies under 4 KiB are not offered to lz4');
  });

  it('every strict prefix of a body fails to decode', () => {
    const rng = new Rng(testSeed('raftlog batch prefixes'));
    for (let round = 0; round < 30; round++) {
      const body = encodeBody(randomBatch(rng, false).items);
      for (let cut = 0; cut < body.length; cut++) assert.throws(() => decodeBody(body.subarray(0, cut)), DecodeError, `cut at ${cut} of ${body.length}`);
    }
  });

  it('headroom puts the same payload after reserved bytes', () => {
    const rng = new Rng(testSeed('raftlog batch headroom'));
    for (let round = 0; round < 50; round++) {
      const b = randomBatch(rng, rng.chance(0.5));
      const plain = encodeBatch(b.items).frame;
      const roomy = encodeBatch(b.items, 12).frame;
      assert.deepEqual([...roomy.subarray(0, 12)], new Array<number>(12).fill(0));
      assert.deepEqual([...roomy.subarray(12)], [...plain]);
    }
  });

  it('rejects bad compression bytes and bad lz4 payloads', () => {
    assert.throws(() => decodeBatch(new Uint8Array(0)), DecodeError);
    assert.throws(() => decodeBatch(Uint8Array.of(7, 0)), DecodeError);
    assert.throws(() => decodeBatch(Uint8Array.of(BodyCompression.Lz4, 0xff, 0xff, 0xff, 0x7f, 1, 2)), DecodeError);
  });

  it('the builder refuses what Raft never writes, with InvalidArgument', () => {
    const b = new LogBatch();
    const d = new Uint8Array(1);
    assert.throws(() => b.append(1, [{ index: 5, term: 1, data: d }, { index: 7, term: 1, data: d }]), InvalidArgument);
    assert.throws(() => b.append(1, [{ index: 5, term: 2, data: d }, { index: 6, term: 1, data: d }]), InvalidArgument);
    assert.throws(() => b.append(1, [{ index: 0, term: 1, data: d }]), InvalidArgument);
    assert.throws(() => b.append(-1, [{ index: 1, term: 1, data: d }]), InvalidArgument);
    assert.throws(() => b.append(1, [{ index: 1.5, term: 1, data: d }]), InvalidArgument);
    assert.throws(() => b.append(1, [{ index: 1, term: 1, data: 'x' as unknown as Uint8Array }]), InvalidArgument);
    assert.throws(() => b.truncate(1, 0), InvalidArgument);
    assert.throws(() => b.compactTo(1, 2 ** 53), InvalidArgument);
    assert.throws(() => b.setHardState(1, { term: -1, vote: 0, commit: 0 }), InvalidArgument);
    assert.equal(b.isEmpty, true, 'a refused call adds nothing');
    b.append(1, []);
    assert.equal(b.isEmpty, true, 'an empty append adds nothing');
  });

  it('copies its inputs', () => {
    const data = Uint8Array.of(1, 2, 3);
    const b = new LogBatch().append(1, [{ index: 1, term: 1, data }]).put(1, data, data);
    data[0] = 9;
    assert.deepEqual(rebuild(decodeBatch(encodeBatch(b.items).frame)), [
      { kind: ItemKind.Append, group: 1, entries: [{ index: 1, term: 1, data: [1, 2, 3] }] },
      { kind: ItemKind.Put, group: 1, key: [1, 2, 3], value: [1, 2, 3] },
    ]);
    assert.equal(b.dataBytes, 9);
  });
});
