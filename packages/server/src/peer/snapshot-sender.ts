// Sends one MsgSnap over its own Snapshot call: the hello, the message with
// its data left out, then the data in checksummed chunks, waiting for 'drain'
// whenever gRPC's buffer is full, so at most a few chunks are in memory.
// `done` runs exactly once, after the receiver answered or the call failed,
// unless cancel() ran first. The MsgSnap's data must not change meanwhile.

import { Metadata, type Client, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import type { Checksum } from '@strata/engine';
import type { MsgSnap, NodeId } from '@strata/raft';
import { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_PATH } from './format.js';
import { encodeChunk, encodeHello } from './peer-frames.js';
import { encodeMessageBatch } from './raft-message-codec.js';
import { asBuffer } from './service.js';

export interface SnapshotSendOptions {
  readonly client: Client;
  readonly selfId: NodeId;
  readonly clusterId: bigint;
  readonly checksum: Checksum;
  readonly timeoutMs: number;
  readonly message: MsgSnap;
  readonly done: (err: Error | undefined) => void;
}

export interface SnapshotSend {
  /** Abandons the send; `done` will not run. */
  cancel(): void;
}

const EMPTY = new Uint8Array(0);

export function sendSnapshot(o: SnapshotSendOptions): SnapshotSend {
  const m = o.message;
  let settled = false;
  let cancelled = false;
  let frames: { readonly hello: Uint8Array; readonly head: Uint8Array };
  try {
    frames = {
      hello: encodeHello({ kind: 'snapshot', clusterId: o.clusterId, from: o.selfId, to: m.to }, o.checksum),
      head: encodeMessageBatch([{ ...m, snapshot: { meta: m.snapshot.meta, data: EMPTY } }], o.checksum),
    };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    setImmediate(() => {
      if (!cancelled) o.done(e);
    });
    return { cancel: () => (cancelled = true) };
  }
  let markOver = (): void => undefined;
  const over = new Promise<false>((resolve) => (markOver = () => resolve(false)));
  const call: ClientWritableStream<Uint8Array> = o.client.makeClientStreamRequest<Uint8Array, Buffer>(
    SNAPSHOT_PATH,
    asBuffer,
    (b: Buffer) => b,
    new Metadata(),
    { deadline: Date.now() + o.timeoutMs },
    (err: ServiceError | null) => {
      if (settled) return;
      settled = true;
      markOver();
      if (!cancelled) o.done(err ?? undefined);
    },
  );
  // Failures arrive through the callback; this listener only keeps a late write error from being unhandled.
  call.on('error', () => undefined);

  const writeAll = async (): Promise<void> => {
    const data = m.snapshot.data;
    const frameList = [frames.hello, frames.head];
    for (const f of frameList) if (!call.write(f) && !(await drained(call, over))) return;
    for (let off = 0; off < data.length; off += SNAPSHOT_CHUNK_BYTES) {
      if (settled || cancelled) return;
      const chunk = encodeChunk(data.subarray(off, off + SNAPSHOT_CHUNK_BYTES), o.checksum);
      if (!call.write(chunk) && !(await drained(call, over))) return;
    }
    if (!settled && !cancelled) call.end();
  };
  writeAll().catch((err: unknown) => {
    // Not expected (the frames were checked above), but a send must end in `done`.
    if (settled) return;
    settled = true;
    markOver();
    call.cancel();
    if (!cancelled) o.done(err instanceof Error ? err : new Error(String(err)));
  });

  return {
    cancel: () => {
      cancelled = true;
      markOver();
      if (!settled) call.cancel();
    },
  };
}

/** True once gRPC's buffer drains; false if the call is over first. */
async function drained(call: ClientWritableStream<Uint8Array>, over: Promise<false>): Promise<boolean> {
  let onDrain = (): void => undefined;
  const drain = new Promise<true>((resolve) => {
    onDrain = () => resolve(true);
    call.once('drain', onDrain);
  });
  try {
    return await Promise.race([drain, over]);
  } finally {
    call.off('drain', onDrain);
  }
}
