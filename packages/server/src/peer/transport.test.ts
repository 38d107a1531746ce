// PeerTransport between real gRPC servers on 127.0.0.1: batches of every
// message type, a 5 MiB snapshot, a peer that stops and comes back, a peer of
// another cluster, a full send queue, unknown peers. Every test stops what it
// started; waits have deadlines.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Message, MsgHeartbeat } from '@strata/raft';
import { pino } from 'pino';
import { sampleEntries, sampleMessages } from './sample-messages.js';
import { connectAll, Harness, splitSnaps, waitFor } from './transport-harness.js';

const h = new Harness();
afterEach(() => h.stopAll());

const heartbeat = (from: number, to: number, n: number, context = new Uint8Array(0)): MsgHeartbeat => ({ type: 'MsgHeartbeat', from, to, term: 1, commit: n, context });

describe('peer transport', { timeout: 60_000 }, () => {
  it('three transports exchange batches of every message type', async () => {
    const nodes = await Promise.all([h.start(1), h.start(2), h.start(3)]);
    connectAll(nodes);
    const sent = new Map<number, Message[]>(nodes.map((n) => [n.id, []]));
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        const ms = sampleMessages(from.id, to.id);
        sent.get(to.id)?.push(...ms);
        from.t.send(ms);
      }
    }
    for (const n of nodes) await waitFor(`node ${n.id}'s messages`, () => n.received.length === sent.get(n.id)?.length);
    for (const n of nodes) {
      const want = splitSnaps(sent.get(n.id) ?? []);
      const got = splitSnaps(n.received);
      // Each sender's plain messages arrive in order; senders interleave.
      for (const from of nodes) {
        assert.deepStrictEqual(
          got.plain.filter((m) => m.from === from.id),
          want.plain.filter((m) => m.from === from.id),
        );
      }
      assert.deepStrictEqual(
        got.snaps.sort((a, b) => a.from - b.from),
        want.snaps.sort((a, b) => a.from - b.from),
      );
      await waitFor(`node ${n.id}'s snapshot reports`, () => n.snapshots.length === 2);
      assert.deepStrictEqual(n.snapshots.map(([, s]) => s), ['finish', 'finish']);
      assert.deepStrictEqual(n.unreachable, []);
    }
  });

  it('a large MsgApp and many small sends in one turn arrive in order', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2)]);
    connectAll([a, b]);
    const big: Message = { type: 'MsgApp', from: 1, to: 2, term: 3, index: 0, logTerm: 0, commit: 5000, entries: sampleEntries(1, 5000, 3) };
    a.t.send([big]);
    for (let i = 0; i < 500; i++) a.t.send([heartbeat(1, 2, i)]);
    await waitFor('all messages', () => b.received.length === 501);
    assert.deepStrictEqual(b.received[0], big);
    assert.deepStrictEqual(
      b.received.slice(1).map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1)),
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it('a 5 MiB snapshot arrives whole and reports finish', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2)]);
    connectAll([a, b]);
    const data = new Uint8Array(5 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const snap = sampleMessages(1, 2, data).find((m) => m.type === 'MsgSnap');
    assert.ok(snap !== undefined);
    a.t.send([snap]);
    await waitFor('the snapshot status', () => a.snapshots.length === 1, { timeoutMs: 20_000 });
    assert.deepStrictEqual(a.snapshots, [[2, 'finish']]);
    assert.equal(b.received.length, 1);
    assert.deepStrictEqual(b.received[0], snap);
  });

  it('a peer that stops is reported unreachable and reconnected when it comes back', async () => {
    const a = await h.start(1);
    let b = await h.start(2);
    a.t.setPeer(2, b.addr);
    let n = 0;
    const beat = (): void => a.t.send([heartbeat(1, 2, n++)]);
    await waitFor('first delivery', () => b.received.length > 0, { tick: beat });
    await h.stop(b);
    // Down for several reconnect attempts; reports are rate-limited (100 ms).
    await waitFor('repeated onUnreachable(2)', () => a.unreachable.length >= 3, { tick: beat });
    assert.ok(a.unreachable.every((id) => id === 2));
    assert.ok(a.logs.some((l) => l.msg === 'peer still unreachable'));
    b = await h.start(2, { listen: b.addr });
    await waitFor('delivery after restart', () => b.received.length > 0, { tick: beat, timeoutMs: 10_000 });
    assert.ok(a.logs.some((l) => l.msg === 'peer connected'));
    // The reconnected stream keeps order.
    const commits = b.received.map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1));
    assert.deepStrictEqual(
      commits,
      [...commits].sort((x, y) => x - y),
    );
  });

  it('a peer of another cluster refuses the stream and the snapshot', async () => {
    const a = await h.start(1);
    const b = await h.start(2, { clusterId: 99n });
    a.t.setPeer(2, b.addr);
    const snap = sampleMessages(1, 2).find((m) => m.type === 'MsgSnap');
    assert.ok(snap !== undefined);
    a.t.send([snap]);
    await waitFor('refusal', () => a.unreachable.includes(2) && a.snapshots.length === 1, { tick: () => a.t.send([heartbeat(1, 2, 0)]) });
    assert.deepStrictEqual(a.snapshots, [[2, 'failure']]);
    assert.deepStrictEqual(b.received, []);
    assert.ok(b.logs.some((l) => l.level === 'warn' && l.msg === 'rejected a peer stream call' && JSON.stringify(l.obj).includes('FAILED_PRECONDITION')));
    assert.ok(b.logs.some((l) => l.level === 'warn' && l.msg === 'rejected a peer snapshot call'));
  });

  it('a full send queue drops what does not fit and reports the peer unreachable', async () => {
    const [a, b] = await Promise.all([h.start(1, { maxQueueBytes: 4096 }), h.start(2)]);
    connectAll([a, b]);
    const ctx = new Uint8Array(100);
    a.t.send(Array.from({ length: 200 }, (_, i) => heartbeat(1, 2, i, ctx)));
    await waitFor('onUnreachable(2)', () => a.unreachable.includes(2));
    await waitFor('delivery', () => b.received.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    const commits = b.received.map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1));
    assert.ok(commits.length > 10 && commits.length < 200, `delivered ${commits.length}`);
    assert.deepStrictEqual(
      commits,
      Array.from({ length: commits.length }, (_, i) => i),
    );
  });

  it('messages to unknown peers are dropped, and a MsgSnap among them reports failure', async () => {
    const a = await h.start(1);
    const snap = sampleMessages(1, 7).find((m) => m.type === 'MsgSnap');
    assert.ok(snap !== undefined);
    assert.doesNotThrow(() => a.t.send([heartbeat(1, 7, 0), snap, heartbeat(1, 1, 0)]));
    await waitFor('snapshot failure', () => a.snapshots.length === 1);
    assert.deepStrictEqual(a.snapshots, [[7, 'failure']]);
    assert.ok(a.logs.some((l) => l.level === 'debug' && l.msg === 'dropped a raft message to an unknown peer'));
  });

  it('removing a peer stops its traffic, and no callback runs after stop()', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2)]);
    connectAll([a, b]);
    a.t.send([heartbeat(1, 2, 0)]);
    await waitFor('delivery', () => b.received.length === 1);
    a.t.removePeer(2);
    a.t.send([heartbeat(1, 2, 1)]);
    await h.stop(b);
    a.t.setPeer(2, b.addr);
    a.t.send([heartbeat(1, 2, 2)]);
    await h.stop(a);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.received.length, 1);
    assert.deepStrictEqual(a.unreachable, []);
  });

  it('refuses bad options and addresses with InvalidArgument, and a used port with IoError', async () => {
    await assert.rejects(() => h.start(0), { code: 'InvalidArgument' });
    await assert.rejects(() => h.start(1, { clusterId: -1n }), { code: 'InvalidArgument' });
    await assert.rejects(() => h.start(1, { listen: 'localhost' }), { code: 'InvalidArgument' });
    const a = await h.start(1);
    assert.throws(() => a.t.setPeer(2, 'no-port'), { code: 'InvalidArgument' });
    assert.throws(() => a.t.setPeer(1, '127.0.0.1:1'), { code: 'InvalidArgument' });
    assert.doesNotThrow(() => a.t.setPeer(3, '[::1]:2380'));
    await assert.rejects(() => h.start(5, { listen: a.addr }), { code: 'IoError' });
  });

  it('takes a pino logger', async () => {
    const [a, b] = await Promise.all([h.start(1, { logger: pino({ level: 'silent' }) }), h.start(2)]);
    connectAll([a, b]);
    a.t.send([heartbeat(1, 2, 1)]);
    await waitFor('delivery', () => b.received.length === 1);
  });
});
