// The message batch codec: every variant round-trips, random messages
// round-trip (fast-check, seeded), and damaged frames (cut at every byte,
// flipped bytes, re-sealed garbage) raise Corruption instead of decoding to
// something else. Randomized tests print their seed (STRATA_SEED replays).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corruption, InvalidArgument, loadChecksum, type Checksum } from '@strata/engine';
import type { ConfState, Entry, EntryType, Message } from '@strata/raft';
import { testSeed } from '@strata/vfs/testing';
import fc from 'fast-check';
import { BATCH_CHECKSUM_SEED } from './format.js';
import { batchSize, decodeMessageBatch, encodeMessageBatch, messageSize } from './raft-message-codec.js';
import { sampleMessages } from './sample-messages.js';

const checksum: Checksum = await loadChecksum();

const roundTrip = (ms: readonly Message[]): Message[] => decodeMessageBatch(encodeMessageBatch(ms, checksum), checksum);

/** Recomputes a frame's checksum, so only the structural checks stand between garbage and a message. */
function reseal(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame);
  if (out.length >= 4) new DataView(out.buffer).setUint32(out.length - 4, checksum.xxh32(out.subarray(0, out.length - 4), BATCH_CHECKSUM_SEED), true);
  return out;
}

const uint = fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat());
const id = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.maxSafeNat());
const blob = fc.uint8Array({ maxLength: 40 });
const entry: fc.Arbitrary<Entry> = fc.record({ index: uint, term: uint, type: fc.constantFrom(0 as EntryType, 1 as EntryType), data: blob }, { noNullPrototype: true });
const entries = fc.array(entry, { maxLength: 8 });
const ids = fc.array(id, { maxLength: 5 });
const confState: fc.Arbitrary<ConfState> = fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() }, { noNullPrototype: true });
const base = { from: id, to: id, term: uint };

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ ...base, type: fc.constant('MsgApp' as const), index: uint, logTerm: uint, commit: uint, entries }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constant('MsgAppResp' as const), index: uint, reject: fc.boolean(), rejectHint: uint, logTerm: uint }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constantFrom('MsgVote' as const, 'MsgPreVote' as const), index: uint, logTerm: uint, transfer: fc.boolean() }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constantFrom('MsgVoteResp' as const, 'MsgPreVoteResp' as const), reject: fc.boolean() }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constant('MsgHeartbeat' as const), commit: uint, context: blob }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constantFrom('MsgHeartbeatResp' as const, 'MsgReadIndex' as const), context: blob }, { noNullPrototype: true }),
  fc.record(
    { ...base, type: fc.constant('MsgSnap' as const), snapshot: fc.record({ meta: fc.record({ index: uint, term: uint, confState }, { noNullPrototype: true }), data: blob }, { noNullPrototype: true }) },
    { noNullPrototype: true },
  ),
  fc.record({ ...base, type: fc.constantFrom('MsgTimeoutNow' as const, 'MsgTransferLeader' as const) }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constant('MsgProp' as const), entries }, { noNullPrototype: true }),
  fc.record({ ...base, type: fc.constant('MsgReadIndexResp' as const), index: uint, context: blob }, { noNullPrototype: true }),
);
const batchArb = fc.array(messageArb, { minLength: 1, maxLength: 6 });

describe('raft message codec', () => {
  it('round-trips one message of every type, alone and as one batch', () => {
    const all = sampleMessages(1, 2);
    for (const m of all) assert.deepStrictEqual(roundTrip([m]), [m], m.type);
    assert.deepStrictEqual(roundTrip(all), all);
    assert.deepStrictEqual(roundTrip([]), []);
  });

  it('sizes a batch exactly', () => {
    const all = sampleMessages(3, 300);
    const body = all.reduce((n, m) => n + messageSize(m), 0);
    assert.equal(encodeMessageBatch(all, checksum).length, batchSize(all.length, body));
  });

  it('decodes entry data and contexts as views into the frame', () => {
    const frame = encodeMessageBatch(sampleMessages(1, 2), checksum);
    const decoded = decodeMessageBatch(frame, checksum);
    const app = decoded[0];
    assert.ok(app?.type === 'MsgApp');
    for (const e of app.entries) {
      assert.equal(e.data.buffer, frame.buffer);
      assert.equal(Object.getPrototypeOf(e.data), Uint8Array.prototype);
    }
  });

  it('round-trips random batches', () => {
    const seed = testSeed('codec round trip');
    fc.assert(
      fc.property(batchArb, (ms) => {
        assert.deepStrictEqual(roundTrip(ms), ms);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('raises Corruption for a frame cut at every byte', () => {
    const frame = encodeMessageBatch(sampleMessages(1, 2), checksum);
    for (let n = 0; n < frame.length; n++) assert.throws(() => decodeMessageBatch(frame.subarray(0, n), checksum), Corruption, `cut at ${n}`);
  });

  it('raises Corruption for any flipped byte', () => {
    const seed = testSeed('codec byte flips');
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (ms, at, xor) => {
        const frame = new Uint8Array(encodeMessageBatch(ms, checksum));
        const i = at % frame.length;
        frame[i] = (frame[i] as number) ^ xor;
        assert.throws(() => decodeMessageBatch(frame, checksum), Corruption);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('without the checksum, damaged bodies still raise only Corruption', () => {
    // Re-sealed frames pass the checksum: the structural checks alone must then
    // either reject the body or decode it to messages that encode back to a
    // valid frame, never throw anything else or run away.
    const seed = testSeed('codec structural damage');
    fc.assert(
      fc.property(batchArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), (ms, flips, cut) => {
        const frame = new Uint8Array(encodeMessageBatch(ms, checksum));
        for (const [at, xor] of flips) {
          const i = at % (frame.length - 4);
          frame[i] = (frame[i] as number) ^ xor;
        }
        for (const candidate of [reseal(frame), reseal(frame.subarray(0, cut % frame.length))]) {
          try {
            const out = decodeMessageBatch(candidate, checksum);
            assert.deepStrictEqual(roundTrip(out), out);
          } catch (err) {
            assert.ok(err instanceof Corruption, `expected Corruption, got ${String(err)}`);
          }
        }
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('refuses specific malformed bodies', () => {
    const ok = encodeMessageBatch([{ from: 1, to: 2, term: 3, type: 'MsgVoteResp', reject: true }], checksum);
    assert.deepEqual([...ok.subarray(0, ok.length - 4)], [1, 1, 5, 1, 2, 3, 1]);
    const cases: [string, number[]][] = [
      ['unknown version', [2, 1, 5, 1, 2, 3, 1]],
      ['unknown type code', [1, 1, 99, 1, 2, 3, 1]],
      ['type code 0', [1, 1, 0, 1, 2, 3, 1]],
      ['boolean byte 2', [1, 1, 5, 1, 2, 3, 2]],
      ['trailing byte', [1, 1, 5, 1, 2, 3, 1, 0]],
      ['count too large', [1, 0xff, 0xff, 0xff, 0x7f, 5, 1, 2, 3, 1]],
      ['varint too long', [1, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 2, 3, 1]],
      ['entry type 2', [1, 1, 11, 1, 2, 3, 1, 5, 5, 2, 0]],
    ];
    for (const [what, body] of cases) assert.throws(() => decodeMessageBatch(reseal(new Uint8Array([...body, 0, 0, 0, 0])), checksum), Corruption, what);
  });

  it('refuses to encode fields the format cannot carry', () => {
    const bad: unknown[] = [
      { from: 1, to: 2, term: -1, type: 'MsgTimeoutNow' },
      { from: 1, to: 2, term: 1.5, type: 'MsgTimeoutNow' },
      { from: 1, to: 2, term: 2 ** 53, type: 'MsgTimeoutNow' },
      { from: 1, to: 2, term: 1, type: 'MsgBogus' },
      { from: 1, to: 2, term: 1, type: 'MsgProp', entries: [{ index: 1, term: 1, type: 2, data: new Uint8Array(0) }] },
    ];
    for (const m of bad) assert.throws(() => encodeMessageBatch([m as Message], checksum), InvalidArgument, JSON.stringify(m));
  });
});
