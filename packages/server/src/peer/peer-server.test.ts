// The peer port under abuse: raw TCP junk, a cut HTTP/2 preface, and real
// gRPC calls with undecodable hellos, batches and chunks. Each bad call is
// refused alone with a status and a log line, while a good peer's stream on
// the same server keeps delivering.

import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { loadChecksum } from '@strata/engine';
import type { MsgHeartbeat } from '@strata/raft';
import { SNAPSHOT_PATH, STREAM_PATH } from './format.js';
import { encodeHello } from './peer-frames.js';
import { encodeMessageBatch } from './raft-message-codec.js';
import { sampleMessages } from './sample-messages.js';
import { asBuffer } from './service.js';
import { connectAll, Harness, waitFor, type TestNode } from './transport-harness.js';

const h = new Harness();
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await h.stopAll();
});

const checksum = await loadChecksum();
const CLUSTER = 0x1234_5678_9abc_def0n;
const heartbeat = (from: number, to: number, n: number): MsgHeartbeat => ({ type: 'MsgHeartbeat', from, to, term: 1, commit: n, context: new Uint8Array(0) });

/** Opens a raw call on `path`, writes `frames`, half-closes, and resolves with the final status code. */
function rawCall(addr: string, path: string, frames: readonly Uint8Array[]): Promise<status> {
  const c = new Client(addr, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  clients.push(c);
  return new Promise((resolve) => {
    const call = c.makeClientStreamRequest<Uint8Array, Buffer>(path, asBuffer, (b: Buffer) => b, new Metadata(), {}, (err: ServiceError | null) => resolve(err === null ? status.OK : err.code));
    call.on('error', () => undefined);
    for (const f of frames) call.write(f);
    call.end();
  });
}

/** Sends junk over a plain TCP connection and waits for the server to close it (or 500 ms: a cut frame just waits for more). */
function tcpJunk(port: number, junk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(junk));
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 500);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => undefined);
  });
}

/** Proves `b` still serves `a`: a heartbeat with a fresh commit arrives. */
async function stillServes(a: TestNode, b: TestNode, n: number): Promise<void> {
  a.t.send([heartbeat(a.id, b.id, n)]);
  await waitFor(`heartbeat ${n}`, () => b.received.some((m) => m.type === 'MsgHeartbeat' && m.commit === n));
}

describe('peer server robustness', { timeout: 60_000 }, () => {
  it('raw TCP junk and a cut HTTP/2 preface leave the server serving', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2)]);
    connectAll([a, b]);
    await stillServes(a, b, 1);
    await tcpJunk(b.t.port, new Uint8Array(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
    await tcpJunk(b.t.port, new Uint8Array(4096).map((_, i) => (i * 37) & 0xff));
    await tcpJunk(b.t.port, new Uint8Array(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00garbage')));
    await stillServes(a, b, 2);
    // A new peer can still connect, too.
    const c = await h.start(3);
    connectAll([c, b]);
    await stillServes(c, b, 3);
  });

  it('gRPC calls with undecodable frames are refused alone', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2)]);
    connectAll([a, b]);
    await stillServes(a, b, 1);
    const hello = (kind: 'stream' | 'snapshot', clusterId = CLUSTER, from = 3, to = 2): Uint8Array => encodeHello({ kind, clusterId, from, to }, checksum);
    const junk = new Uint8Array(Buffer.from('definitely not a frame'));
    const snapHead = encodeMessageBatch([{ type: 'MsgSnap', from: 3, to: 2, term: 1, snapshot: { meta: { index: 1, term: 1, confState: { voters: [2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array(0) } }], checksum);
    const cases: [string, string, Uint8Array[], status][] = [
      ['junk hello', STREAM_PATH, [junk], status.INVALID_ARGUMENT],
      ['empty hello', STREAM_PATH, [new Uint8Array(0)], status.INVALID_ARGUMENT],
      ['junk batch', STREAM_PATH, [hello('stream'), junk], status.INVALID_ARGUMENT],
      ['snapshot hello on the stream', STREAM_PATH, [hello('snapshot')], status.INVALID_ARGUMENT],
      ['another cluster', STREAM_PATH, [hello('stream', 5n)], status.FAILED_PRECONDITION],
      ['another receiver', STREAM_PATH, [hello('stream', CLUSTER, 3, 9)], status.FAILED_PRECONDITION],
      ['a batch as the snapshot head', SNAPSHOT_PATH, [hello('snapshot'), encodeMessageBatch(sampleMessages(3, 2).slice(0, 2), checksum)], status.INVALID_ARGUMENT],
      ['junk chunk', SNAPSHOT_PATH, [hello('snapshot'), snapHead, junk], status.INVALID_ARGUMENT],
      ['no head', SNAPSHOT_PATH, [hello('snapshot')], status.INVALID_ARGUMENT],
      ['unknown method', '/strata.peer.Raft/Nope', [junk], status.UNIMPLEMENTED],
    ];
    let n = 10;
    for (const [what, path, frames, want] of cases) {
      assert.equal(status[await rawCall(b.addr, path, frames)], status[want], what);
      await stillServes(a, b, n++);
    }
    // A good raw call is answered OK: the harness above is not what makes calls pass.
    assert.equal(await rawCall(b.addr, STREAM_PATH, [hello('stream'), encodeMessageBatch([heartbeat(3, 2, 500)], checksum)]), status.OK);
    await waitFor('the raw heartbeat', () => b.received.some((m) => m.from === 3));
    assert.ok(b.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('rejected a peer')).length >= cases.length - 1);
    assert.deepStrictEqual(a.unreachable, []);
  });

  it('a snapshot over the receiver\'s limit is refused and reported as a failure', async () => {
    const [a, b] = await Promise.all([h.start(1), h.start(2, { maxSnapshotBytes: 1000 })]);
    connectAll([a, b]);
    const small = sampleMessages(1, 2, new Uint8Array(1000)).find((m) => m.type === 'MsgSnap');
    const big = sampleMessages(1, 2, new Uint8Array(1001)).find((m) => m.type === 'MsgSnap');
    assert.ok(small !== undefined && big !== undefined);
    a.t.send([small]);
    await waitFor('the first status', () => a.snapshots.length === 1);
    a.t.send([big]);
    await waitFor('the second status', () => a.snapshots.length === 2);
    assert.deepStrictEqual(a.snapshots, [
      [2, 'finish'],
      [2, 'failure'],
    ]);
    assert.equal(b.received.length, 1);
    await stillServes(a, b, 1);
  });
});
