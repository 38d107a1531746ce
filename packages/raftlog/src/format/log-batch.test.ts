// Log batches: what the builder accepts, and that every batch decodes back to
// exactly what was built, with and without lz4.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError, InvalidArgument, loadChecksum, RECORD_HEADER_SIZE } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BodyCompression, ItemKind, LZ4_MIN_BODY } from './format.js';
import { decodeBatch, decodeBody, encodeFrame, LogBatch, type DecodedBatch, type EncodedFrame, type Entry } from './log-batch.js';

await loadChecksum();

/** A decoded batch in the builder's terms, entry data copied out of the body. */
function rebuild(d: DecodedBatch): unknown[] {
  return d.items.map((it) => {
    if (it.kind !== ItemKind.Append) return it.kind === ItemKind.Put ? { ...it, key: [...it.key], value: [...it.value] } : it.kind === ItemKind.Delete ? { ...it, key: [...it.key] } : it;
    const entries = it.terms.map((term, i) => ({ index: it.firstIndex + i, term, data: [...d.body.subarray(it.offsets[i], (it.offsets[i] as number) + (it.lengths[i] as number))] }));
    return { kind: it.kind, group: it.group, entries };
  });
}

/** The frame's payload (after the reserved header), decoded. */
function decodeFrame(f: EncodedFrame): DecodedBatch {
  return decodeBatch(f.frame.subarray(RECORD_HEADER_SIZE));
}

/** A uniform-ish integer below 2^bits, for bits up to 52 (Rng.int stops at 2^32). */
function wide(rng: Rng, bits: number): number {
  return bits <= 32 ? rng.int(2 ** bits) : rng.int(2 ** (bits - 32)) * 2 ** 32 + rng.int(2 ** 32);
}

/** A random batch, and what it should decode to (in rebuild's terms), kept from the builder's inputs. */
function randomBatch(rng: Rng, compressible: boolean): { batch: LogBatch; expected: unknown[] } {
  const batch = new LogBatch();
  const expected: unknown[] = [];
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
        batch.append(group, entries);
        expected.push({ kind: ItemKind.Append, group, entries: entries.map((e) => ({ index: e.index, term: e.term, data: [...e.data] })) });
        break;
      }
      case 1: {
        const from = 1 + rng.int(10_000);
        batch.truncate(group, from);
        expected.push({ kind: ItemKind.Truncate, group, from });
        break;
      }
      case 2: {
        const state = { term: wide(rng, 50), vote: rng.int(7), commit: wide(rng, 50) };
        batch.setHardState(group, state);
        expected.push({ kind: ItemKind.HardState, group, state });
        break;
      }
      case 3: {
        const index = 1 + rng.int(10_000);
        batch.compactTo(group, index);
        expected.push({ kind: ItemKind.CompactTo, group, index });
        break;
      }
      case 4: {
        const key = rng.bytes(rng.int(30));
        const value = data(rng.int(100));
        batch.put(group, key, value);
        expected.push({ kind: ItemKind.Put, group, key: [...key], value: [...value] });
        break;
      }
      default: {
        const key = rng.bytes(rng.int(30));
        batch.delete(group, key);
        expected.push({ kind: ItemKind.Delete, group, key: [...key] });
      }
    }
  }
  return { batch, expected };
}

describe('log batches', () => {
  it('decode to exactly what was built, compressed or not', () => {
    const seed = testSeed('raftlog batch codec');
    const rng = new Rng(seed);
    const seen = new Set<number>();
    for (let round = 0; round < 400; round++) {
      const { batch, expected } = randomBatch(rng, rng.chance(0.5));
      const enc = encodeFrame([batch.snapshot()]);
      seen.add(enc.frame[RECORD_HEADER_SIZE] as number);
      const decoded = decodeFrame(enc);
      assert.deepEqual(rebuild(decoded), expected, `round ${round}`);
      assert.deepEqual([...enc.body], [...decoded.body], `round ${round}: the body kept for the cache is the stored one`);
      const built = batch.items.flatMap((it) => (it.kind === ItemKind.Append ? it.offsets.map((o) => (enc.starts[0] as number) + o) : []));
      const stored = decoded.items.flatMap((it) => (it.kind === ItemKind.Append ? it.offsets : []));
      assert.deepEqual(built, stored, `round ${round}: the builder's data offsets, moved by the batch's start, match the decoder's`);
    }
    assert.deepEqual([...seen].sort(), [BodyCompression.None, BodyCompression.Lz4], 'both stored forms were exercised');
  });

  it('a commit group of batches is one body: their items in order, each batch at its start', () => {
    const rng = new Rng(testSeed('raftlog group frame'));
    for (let round = 0; round < 100; round++) {
      const parts = Array.from({ length: 1 + rng.int(6) }, () => randomBatch(rng, rng.chance(0.5)));
      const enc = encodeFrame(parts.map((p) => p.batch.snapshot()));
      const decoded = decodeFrame(enc);
      assert.deepEqual(rebuild(decoded), parts.flatMap((p) => p.expected), `round ${round}`);
      const built = parts.flatMap((p, i) => p.batch.items.flatMap((it) => (it.kind === ItemKind.Append ? it.offsets.map((o) => (enc.starts[i] as number) + o) : [])));
      assert.deepEqual(built, decoded.items.flatMap((it) => (it.kind === ItemKind.Append ? it.offsets : [])), `round ${round}: offsets`);
    }
  });

  it('a compressible body of LZ4_MIN_BODY bytes or more is stored with lz4, an incompressible or smaller one raw', () => {
    const rng = new Rng(7);
    const big = new LogBatch().append(1, [{ index: 1, term: 1, data: new Uint8Array(64 * 1024).fill(9) }]);
    const raw = new LogBatch().append(1, [{ index: 1, term: 1, data: rng.bytes(64 * 1024) }]);
    const small = new LogBatch().append(1, [{ index: 1, term: 1, data: new Uint8Array(LZ4_MIN_BODY - 16).fill(9) }]);
    const compression = (b: LogBatch): number => encodeFrame([b.snapshot()]).frame[RECORD_HEADER_SIZE] as number;
    assert.equal(compression(big), BodyCompression.Lz4);
    assert.ok(encodeFrame([big.snapshot()]).frame.length < 2048);
    assert.equal(compression(raw), BodyCompression.None);
    assert.equal(compression(small), BodyCompression.None, `bodies under ${LZ4_MIN_BODY} bytes are not offered to lz4`);
    // Small batches that are compressible together are compressed as a group.
    const smalls = Array.from({ length: 8 }, (_, i) => new LogBatch().append(i, [{ index: 1, term: 1, data: new Uint8Array(LZ4_MIN_BODY / 4).fill(9) }]).snapshot());
    assert.equal(encodeFrame(smalls).frame[RECORD_HEADER_SIZE], BodyCompression.Lz4);
  });

  it('every strict prefix of a body fails to decode', () => {
    const rng = new Rng(testSeed('raftlog batch prefixes'));
    for (let round = 0; round < 30; round++) {
      const body = encodeFrame([randomBatch(rng, false).batch.snapshot()]).body;
      for (let cut = 0; cut < body.length; cut++) assert.throws(() => decodeBody(body.subarray(0, cut)), DecodeError, `cut at ${cut} of ${body.length}`);
    }
  });

  it('a snapshot keeps its bytes while the batch grows, and a batch framed twice frames the same', () => {
    const rng = new Rng(testSeed('raftlog batch snapshot'));
    const { batch, expected } = randomBatch(rng, false);
    const snap = batch.snapshot();
    const first = [...decodeFrame(encodeFrame([snap])).body];
    for (let i = 0; i < 20; i++) batch.put(1, rng.bytes(100), rng.bytes(1000));
    assert.deepEqual(rebuild(decodeFrame(encodeFrame([snap]))), expected, 'later additions are not in the snapshot');
    assert.deepEqual([...decodeFrame(encodeFrame([snap])).body], first);
    assert.equal(batch.items.length, snap.items.length + 20);
    // Two snapshots of one batch, each framed in place: the second framing leaves the first body as it was.
    // (The first item leaves room, so the next one would fit the same buffer.)
    const b = new LogBatch().put(1, Uint8Array.of(1), new Uint8Array(1000));
    const e1 = encodeFrame([b.snapshot()]);
    const body1 = [...e1.body];
    b.delete(2, Uint8Array.of(7));
    encodeFrame([b.snapshot()]);
    assert.deepEqual([...e1.body], body1, 'a framed body never changes under a later framing of the same batch');
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
    assert.throws(() => b.append(1, [{ index: 1, term: 1, data: d }, { index: 2, term: 1, data: 'x' as unknown as Uint8Array }]), InvalidArgument);
    assert.throws(() => b.put(1, d, 'x' as unknown as Uint8Array), InvalidArgument);
    assert.throws(() => b.truncate(1, 0), InvalidArgument);
    assert.throws(() => b.compactTo(1, 2 ** 53), InvalidArgument);
    assert.throws(() => b.setHardState(1, { term: -1, vote: 0, commit: 0 }), InvalidArgument);
    assert.equal(b.isEmpty, true, 'a refused call adds nothing');
    assert.equal(b.encodedBytes, 0, 'a refused call writes nothing');
    b.append(1, []);
    assert.equal(b.isEmpty, true, 'an empty append adds nothing');
  });

  it('copies its inputs', () => {
    const data = Uint8Array.of(1, 2, 3);
    const b = new LogBatch().append(1, [{ index: 1, term: 1, data }]).put(1, data, data);
    data[0] = 9;
    assert.deepEqual(rebuild(decodeFrame(encodeFrame([b.snapshot()]))), [
      { kind: ItemKind.Append, group: 1, entries: [{ index: 1, term: 1, data: [1, 2, 3] }] },
      { kind: ItemKind.Put, group: 1, key: [1, 2, 3], value: [1, 2, 3] },
    ]);
    assert.equal(b.dataBytes, 9);
  });
});
