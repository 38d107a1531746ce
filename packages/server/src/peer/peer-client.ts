// One remote peer as a sender sees it: a gRPC channel, a bounded queue of
// messages, and the Stream call they go out on, one frame per flush (the next
// event-loop turn). States: idle (no call) → open (hello written; 'metadata'
// from the server confirms it) → on any end of the call, backoff (messages are
// dropped) → after the delay, open again. Everything runs on the event loop;
// a call's callbacks check that it is still the current call before acting.

import { Client, credentials, Metadata, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import type { Checksum } from '@strata/engine';
import type { Message, MsgSnap, NodeId } from '@strata/raft';
import { Backoff } from './backoff.js';
import { MAX_FRAME_BYTES, STREAM_PATH, TARGET_FRAME_BYTES } from './format.js';
import type { PeerLogger, SnapshotStatus } from './options.js';
import { encodeHello } from './peer-frames.js';
import { batchSize, encodeMessageBatch, messageSize } from './raft-message-codec.js';
import { sendSnapshot, type SnapshotSend } from './snapshot-sender.js';
import { asBuffer, FRAME_LIMITS } from './service.js';

export interface PeerClientOptions {
  readonly selfId: NodeId;
  readonly clusterId: bigint;
  readonly checksum: Checksum;
  readonly logger: PeerLogger;
  readonly maxQueueBytes: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly unreachableIntervalMs: number;
  readonly snapshotTimeoutMs: number;
  /** Called on a later turn (the transport defers and guards it). */
  readonly onUnreachable: (id: NodeId) => void;
  readonly onSnapshotStatus: (id: NodeId, status: SnapshotStatus) => void;
}

type State = 'idle' | 'open' | 'backoff' | 'closed';

export class PeerClient {
  readonly id: NodeId;
  readonly addr: string;
  readonly #o: PeerClientOptions;
  readonly #client: Client;
  readonly #backoff: Backoff;
  #state: State = 'idle';
  #call: ClientWritableStream<Uint8Array> | undefined;
  /** Set from the server's 'metadata' until the call ends. */
  #confirmed = false;
  /** Waiting for the current call's 'drain'. */
  #blocked = false;
  /** Invariant: #queueBytes is the sum of #sizes, and #sizes[i] is messageSize(#queue[i]). */
  #queue: Message[] = [];
  #sizes: number[] = [];
  #queueBytes = 0;
  #flushScheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #lastUnreachable = -Infinity;
  #dropped = 0;
  /** Whether the peer was last seen unreachable, for logging only transitions at info/warn. */
  #down = false;
  readonly #snapshots = new Set<SnapshotSend>();

  constructor(id: NodeId, addr: string, o: PeerClientOptions) {
    this.id = id;
    this.addr = addr;
    this.#o = o;
    this.#backoff = new Backoff(o.reconnectMinMs, o.reconnectMaxMs);
    this.#client = new Client(addr, credentials.createInsecure(), {
      ...FRAME_LIMITS,
      'grpc.initial_reconnect_backoff_ms': o.reconnectMinMs,
      'grpc.max_reconnect_backoff_ms': o.reconnectMaxMs,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.enable_retries': 0,
      // One connection per transport and peer, even when several transports share a process.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Queues `m` for the next flush, or drops it (peer in backoff, queue full, unencodable). */
  enqueue(m: Message): void {
    if (this.#state === 'closed') return;
    let size: number;
    try {
      size = messageSize(m);
    } catch (err) {
      this.#o.logger.warn({ err, peer: this.id, type: m.type }, 'dropped a malformed outgoing raft message');
      return;
    }
    if (batchSize(1, size) > MAX_FRAME_BYTES) {
      this.#o.logger.warn({ peer: this.id, type: m.type, bytes: size }, 'dropped an outgoing raft message larger than a frame');
      return;
    }
    if (this.#state === 'backoff') return this.#drop(m, 'peer unreachable');
    if (this.#queueBytes + size > this.#o.maxQueueBytes) return this.#drop(m, 'send queue full');
    this.#queue.push(m);
    this.#sizes.push(size);
    this.#queueBytes += size;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  /** Starts a Snapshot call for `m`; its outcome goes to onSnapshotStatus. */
  sendSnapshot(m: MsgSnap): void {
    if (this.#state === 'closed') return;
    const bytes = m.snapshot.data.length;
    this.#o.logger.info({ peer: this.id, index: m.snapshot.meta.index, bytes }, 'sending snapshot');
    const send: SnapshotSend = sendSnapshot({
      client: this.#client,
      selfId: this.#o.selfId,
      clusterId: this.#o.clusterId,
      checksum: this.#o.checksum,
      timeoutMs: this.#o.snapshotTimeoutMs,
      message: m,
      done: (err) => {
        this.#snapshots.delete(send);
        if (err === undefined) {
          this.#o.logger.info({ peer: this.id, index: m.snapshot.meta.index, bytes }, 'sent snapshot');
          this.#o.onSnapshotStatus(this.id, 'finish');
        } else {
          this.#o.logger.warn({ peer: this.id, index: m.snapshot.meta.index, err: describe(err) }, 'snapshot send failed');
          this.#o.onSnapshotStatus(this.id, 'failure');
          this.#reportUnreachable();
        }
      },
    });
    this.#snapshots.add(send);
  }

  /**
   * Ends every call and the channel. Snapshots in flight report 'failure'
   * unless `silent` (the transport is stopping). Nothing else is reported.
   */
  close(silent: boolean): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    for (const s of this.#snapshots) {
      s.cancel();
      if (!silent) this.#o.onSnapshotStatus(this.id, 'failure');
    }
    this.#snapshots.clear();
    this.#call?.cancel();
    this.#call = undefined;
    this.#clearQueue();
    this.#client.close();
  }

  #flush(): void {
    if (this.#state === 'closed' || this.#state === 'backoff' || this.#queue.length === 0) return;
    if (this.#state === 'idle') this.#open();
    const call = this.#call;
    if (call === undefined || this.#blocked) return;
    while (this.#queue.length > 0) {
      // Take messages up to the frame target (always at least one).
      let n = 0;
      let bytes = 0;
      while (n < this.#queue.length && (n === 0 || bytes + (this.#sizes[n] as number) <= TARGET_FRAME_BYTES)) bytes += this.#sizes[n++] as number;
      const batch = this.#queue.splice(0, n);
      this.#sizes.splice(0, n);
      this.#queueBytes -= bytes;
      let frame: Uint8Array;
      try {
        frame = encodeMessageBatch(batch, this.#o.checksum);
      } catch (err) {
        // messageSize accepted each message, so this is a bug; drop the batch rather than the stream.
        this.#o.logger.error({ err, peer: this.id }, 'could not encode a raft message batch');
        continue;
      }
      if (!call.write(frame)) {
        this.#blocked = true;
        call.once('drain', () => {
          if (call !== this.#call) return;
          this.#blocked = false;
          this.#flush();
        });
        return;
      }
    }
  }

  #open(): void {
    let hello: Uint8Array;
    try {
      hello = encodeHello({ kind: 'stream', clusterId: this.#o.clusterId, from: this.#o.selfId, to: this.id }, this.#o.checksum);
    } catch (err) {
      this.#o.logger.error({ err, peer: this.id }, 'could not encode the peer hello');
      return this.#ended(undefined, err);
    }
    const call: ClientWritableStream<Uint8Array> = this.#client.makeClientStreamRequest<Uint8Array, Buffer>(
      STREAM_PATH,
      asBuffer,
      (b: Buffer) => b,
      new Metadata(),
      {},
      (err: ServiceError | null) => this.#ended(call, err ?? new Error('peer ended the stream')),
    );
    // Failures arrive through the callback; this keeps a late write error from being unhandled.
    call.on('error', () => undefined);
    call.on('metadata', () => {
      if (call !== this.#call) return;
      this.#confirmed = true;
      this.#backoff.reset();
      if (this.#down) this.#o.logger.info({ peer: this.id, addr: this.addr }, 'peer connected');
      this.#down = false;
    });
    this.#call = call;
    this.#state = 'open';
    this.#confirmed = false;
    this.#blocked = false;
    call.write(hello);
  }

  /** The current call (or the attempt to open one) ended: back off, then open again. */
  #ended(call: ClientWritableStream<Uint8Array> | undefined, err: unknown): void {
    if (call !== this.#call || this.#state === 'closed') return;
    this.#call = undefined;
    this.#blocked = false;
    this.#dropped += this.#queue.length;
    this.#clearQueue();
    const delay = this.#backoff.next();
    const fields = { peer: this.id, addr: this.addr, err: describe(err), retryMs: delay };
    if (!this.#down) this.#o.logger.warn(fields, this.#confirmed ? 'lost the stream to a peer' : 'cannot reach a peer');
    else this.#o.logger.debug(fields, 'peer still unreachable');
    this.#down = true;
    this.#confirmed = false;
    this.#state = 'backoff';
    this.#reportUnreachable();
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state !== 'backoff') return;
      this.#state = 'idle';
      this.#open();
    }, delay);
  }

  #drop(m: Message, why: string): void {
    if (this.#dropped++ === 0 || this.#dropped % 1000 === 0) this.#o.logger.debug({ peer: this.id, type: m.type, dropped: this.#dropped }, `dropped an outgoing raft message: ${why}`);
    this.#reportUnreachable();
  }

  #reportUnreachable(): void {
    const now = performance.now();
    if (now - this.#lastUnreachable < this.#o.unreachableIntervalMs) return;
    this.#lastUnreachable = now;
    this.#o.onUnreachable(this.id);
  }

  #clearQueue(): void {
    this.#queue = [];
    this.#sizes = [];
    this.#queueBytes = 0;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
