// The receiving side: a gRPC server for strata.peer.Raft. Each call must open
// with a hello for this cluster and node; the server answers it with header
// metadata (the sender's sign that the stream is up) and then decodes frames
// as they arrive, handing messages to `deliver` synchronously. A bad frame
// ends that call alone with an error status and a log line; other calls and
// the server carry on. Snapshots are assembled in memory, bounded by a limit.

import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerReadableStream, type ServerErrorResponse } from '@grpc/grpc-js';
import { Corruption, InvalidArgument, IoError, type Checksum } from '@strata/engine';
import type { Message, MsgSnap, NodeId } from '@strata/raft';
import type { PeerLogger } from './options.js';
import { decodeChunk, decodeHello, type CallKind, type Hello } from './peer-frames.js';
import { decodeMessageBatch } from './raft-message-codec.js';
import { EMPTY_REPLY, FRAME_LIMITS, PEER_SERVICE } from './service.js';

export interface PeerServerOptions {
  readonly listen: string;
  readonly clusterId: bigint;
  readonly selfId: NodeId;
  readonly checksum: Checksum;
  readonly logger: PeerLogger;
  readonly maxSnapshotBytes: number;
  /** Receives every accepted message; must not throw (the transport guards it). */
  readonly deliver: (m: Message) => void;
}

type Call = ServerReadableStream<Buffer, Uint8Array>;
type Reply = sendUnaryData<Uint8Array>;

export class PeerServer {
  readonly #o: PeerServerOptions;
  readonly #server: Server;
  #port = 0;
  #stopped = false;

  private constructor(o: PeerServerOptions) {
    this.#o = o;
    this.#server = new Server({ ...FRAME_LIMITS, 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
    this.#server.addService(PEER_SERVICE, {
      Stream: (call: Call, reply: Reply) => this.#stream(call, reply),
      Snapshot: (call: Call, reply: Reply) => this.#snapshot(call, reply),
    });
  }

  /** Listens on `o.listen`; raises IoError if the address cannot be bound. */
  static async start(o: PeerServerOptions): Promise<PeerServer> {
    const s = new PeerServer(o);
    s.#port = await new Promise<number>((resolve, reject) => {
      s.#server.bindAsync(o.listen, ServerCredentials.createInsecure(), (err, port) => {
        if (err === null) resolve(port);
        else reject(new IoError(`cannot listen for peers on ${o.listen}: ${err.message}`, err));
      });
    });
    return s;
  }

  get port(): number {
    return this.#port;
  }

  /** Ends every call (peers see UNAVAILABLE or CANCELLED) and closes the listener. Nothing is delivered afterwards. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#server.forceShutdown();
    await new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  #stream(call: Call, reply: Reply): void {
    const session = new Session(this.#o, call, reply, 'stream');
    call.on('data', (frame: Buffer) => {
      if (this.#stopped) return;
      session.handle(frame, (hello) => {
        for (const m of decodeMessageBatch(frame, this.#o.checksum, `peer ${hello.from} stream`)) session.deliver(m);
      });
    });
    call.on('end', () => session.finish());
  }

  #snapshot(call: Call, reply: Reply): void {
    const session = new Session(this.#o, call, reply, 'snapshot');
    let head: MsgSnap | undefined;
    const chunks: Uint8Array[] = [];
    let total = 0;
    call.on('data', (frame: Buffer) => {
      if (this.#stopped) return;
      session.handle(frame, (hello) => {
        const source = `peer ${hello.from} snapshot`;
        if (head === undefined) {
          const msgs = decodeMessageBatch(frame, this.#o.checksum, source);
          const m = msgs[0];
          if (msgs.length !== 1 || m?.type !== 'MsgSnap' || m.snapshot.data.length !== 0) throw new Corruption(source, 0, 'a snapshot call must start with one MsgSnap without data');
          head = m;
          return;
        }
        const data = decodeChunk(frame, this.#o.checksum, source);
        total += data.length;
        if (total > this.#o.maxSnapshotBytes) throw new InvalidArgument(`snapshot from peer ${hello.from} exceeds the ${this.#o.maxSnapshotBytes}-byte limit`);
        chunks.push(data);
      });
    });
    call.on('end', () => {
      if (this.#stopped) return;
      if (head === undefined) return session.fail(status.INVALID_ARGUMENT, new Corruption('snapshot call', 0, 'ended before its MsgSnap'));
      const data = chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks, total);
      session.deliver({ ...head, snapshot: { meta: head.snapshot.meta, data } });
      session.finish();
    });
  }
}

/** One incoming call: its hello, and how it ends (exactly one reply). */
class Session {
  #hello: Hello | undefined;
  #done = false;

  constructor(
    readonly o: PeerServerOptions,
    readonly call: Call,
    readonly reply: Reply,
    readonly kind: CallKind,
  ) {
    call.on('error', (err) => {
      // The sender went away (cancelled, reset): nothing to answer.
      this.#done = true;
      o.logger.debug({ err, from: this.#hello?.from, peer: call.getPeer() }, `peer ${kind} call ended by the sender`);
    });
  }

  /** Decodes the hello from the first frame, and passes later ones to `body`; any error fails the call. */
  handle(frame: Buffer, body: (hello: Hello) => void): void {
    if (this.#done) return;
    try {
      if (this.#hello === undefined) {
        this.#hello = this.#accept(frame);
        this.call.sendMetadata(new Metadata());
        return;
      }
      body(this.#hello);
    } catch (err) {
      this.fail(err instanceof Corruption ? status.INVALID_ARGUMENT : status.FAILED_PRECONDITION, err);
    }
  }

  deliver(m: Message): void {
    const hello = this.#hello;
    if (hello === undefined || this.#done) return;
    if (m.to !== this.o.selfId || m.from !== hello.from) {
      this.o.logger.warn({ from: hello.from, msgFrom: m.from, msgTo: m.to, type: m.type }, 'dropped a raft message not from the stream sender to this node');
      return;
    }
    this.o.deliver(m);
  }

  finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.reply(null, EMPTY_REPLY);
  }

  fail(code: status, err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    const details = err instanceof Error ? err.message : String(err);
    this.o.logger.warn({ err, from: this.#hello?.from, peer: this.call.getPeer(), code: status[code] }, `rejected a peer ${this.kind} call`);
    const e: ServerErrorResponse = Object.assign(new Error(details), { code, details });
    this.reply(e);
  }

  #accept(frame: Buffer): Hello {
    const h = decodeHello(frame, this.o.checksum);
    if (h.kind !== this.kind) throw new Corruption('peer hello', 1, `a ${h.kind} hello on a ${this.kind} call`);
    if (h.clusterId !== this.o.clusterId) throw new InvalidArgument(`peer ${h.from} is in cluster ${h.clusterId}, this node is in cluster ${this.o.clusterId}`);
    if (h.to !== this.o.selfId) throw new InvalidArgument(`peer ${h.from} addressed node ${h.to}, this is node ${this.o.selfId}`);
    if (h.from === this.o.selfId) throw new InvalidArgument(`peer hello claims this node's id ${h.from}`);
    return h;
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
