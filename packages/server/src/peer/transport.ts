// PeerTransport: Raft messages between server nodes over gRPC (wire formats in
// docs/format/raft-message.md and peer-stream.md). It owns one PeerServer for
// incoming calls and one PeerClient per known peer. send() never throws and
// never calls back synchronously: callbacks run on later turns, are guarded,
// and stop after stop(). Messages may be dropped at any time (Raft tolerates
// loss); drops and failed connections surface as onUnreachable.

import { InvalidArgument, loadChecksum, type Checksum } from '@strata/engine';
import type { Message, NodeId } from '@strata/raft';
import { parseHostPort } from './address.js';
import { DEFAULTS, SILENT_LOGGER, type PeerLogger, type PeerTransportOptions, type SnapshotStatus } from './options.js';
import { PeerClient, type PeerClientOptions } from './peer-client.js';
import { checkClusterId, checkNodeId } from './peer-frames.js';
import { PeerServer } from './peer-server.js';

export class PeerTransport {
  readonly #o: PeerTransportOptions;
  readonly #logger: PeerLogger;
  readonly #clientOptions: PeerClientOptions;
  readonly #peers = new Map<NodeId, PeerClient>();
  #server: PeerServer | undefined;
  #stopped = false;

  private constructor(o: PeerTransportOptions, checksum: Checksum) {
    this.#o = o;
    this.#logger = o.logger ?? SILENT_LOGGER;
    this.#clientOptions = {
      selfId: o.selfId,
      clusterId: o.clusterId,
      checksum,
      logger: this.#logger,
      maxQueueBytes: o.maxQueueBytes ?? DEFAULTS.maxQueueBytes,
      reconnectMinMs: o.reconnectMinMs ?? DEFAULTS.reconnectMinMs,
      reconnectMaxMs: o.reconnectMaxMs ?? DEFAULTS.reconnectMaxMs,
      unreachableIntervalMs: o.unreachableIntervalMs ?? DEFAULTS.unreachableIntervalMs,
      snapshotTimeoutMs: o.snapshotTimeoutMs ?? DEFAULTS.snapshotTimeoutMs,
      onUnreachable: (id) => this.#later('onUnreachable', () => this.#o.onUnreachable(id)),
      onSnapshotStatus: (id, s: SnapshotStatus) => this.#later('onSnapshotStatus', () => this.#o.onSnapshotStatus(id, s)),
    };
  }

  /** Checks the options, then listens. Raises InvalidArgument for bad options and IoError if the address cannot be bound. */
  static async start(o: PeerTransportOptions): Promise<PeerTransport> {
    checkClusterId(o.clusterId);
    checkNodeId(o.selfId, 'selfId');
    parseHostPort(o.listen, 'listen address');
    for (const key of ['maxQueueBytes', 'reconnectMinMs', 'reconnectMaxMs', 'unreachableIntervalMs', 'maxSnapshotBytes', 'snapshotTimeoutMs'] as const) {
      const v = o[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new InvalidArgument(`${key} must be a positive integer, got ${String(v)}`);
    }
    const t = new PeerTransport(o, await loadChecksum());
    t.#server = await PeerServer.start({
      listen: o.listen,
      clusterId: o.clusterId,
      selfId: o.selfId,
      checksum: t.#clientOptions.checksum,
      logger: t.#logger,
      maxSnapshotBytes: o.maxSnapshotBytes ?? DEFAULTS.maxSnapshotBytes,
      deliver: (m) => t.#deliver(m),
    });
    t.#logger.info({ node: o.selfId, port: t.#server.port }, 'peer transport listening');
    return t;
  }

  /** The port the server listens on (the chosen one when `listen` used port 0). */
  get port(): number {
    return this.#server?.port ?? 0;
  }

  /** Adds a peer or changes its address (which ends its calls; snapshots in flight report failure). Raises InvalidArgument for a bad id or address. */
  setPeer(id: NodeId, addr: string): void {
    checkNodeId(id, 'peer id');
    if (id === this.#o.selfId) throw new InvalidArgument(`peer id ${id} is this node's own id`);
    parseHostPort(addr, `address of peer ${id}`);
    if (this.#stopped) return;
    const old = this.#peers.get(id);
    if (old?.addr === addr) return;
    old?.close(false);
    this.#peers.set(id, new PeerClient(id, addr, this.#clientOptions));
    this.#logger.debug({ peer: id, addr }, old === undefined ? 'added peer' : 'changed peer address');
  }

  /** Forgets a peer: drops its queue and ends its calls (snapshots in flight report failure). */
  removePeer(id: NodeId): void {
    const p = this.#peers.get(id);
    if (p === undefined) return;
    this.#peers.delete(id);
    p.close(false);
    this.#logger.debug({ peer: id }, 'removed peer');
  }

  /**
   * Queues messages for their peers; each peer's queue goes out as one frame
   * on the next turn. MsgSnap goes over its own call. Never throws; messages to
   * unknown peers are dropped (a MsgSnap then reports failure). Messages must
   * not be modified afterwards.
   */
  send(messages: readonly Message[]): void {
    if (this.#stopped) return;
    for (const m of messages) {
      try {
        const peer = this.#peers.get(m.to);
        if (peer === undefined) {
          this.#logger.debug({ to: m.to, type: m.type }, 'dropped a raft message to an unknown peer');
          if (m.type === 'MsgSnap') this.#clientOptions.onSnapshotStatus(m.to, 'failure');
        } else if (m.type === 'MsgSnap') {
          peer.sendSnapshot(m);
        } else {
          peer.enqueue(m);
        }
      } catch (err) {
        this.#logger.error({ err, to: m.to, type: m.type }, 'could not send a raft message');
      }
    }
  }

  /** Ends every call, stops listening and silences every callback. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const p of this.#peers.values()) p.close(true);
    this.#peers.clear();
    await this.#server?.stop();
    this.#logger.info({ node: this.#o.selfId }, 'peer transport stopped');
  }

  #deliver(m: Message): void {
    if (this.#stopped) return;
    try {
      this.#o.onMessage(m);
    } catch (err) {
      this.#logger.error({ err, from: m.from, type: m.type }, 'onMessage threw');
    }
  }

  #later(name: string, fn: () => void): void {
    setImmediate(() => {
      if (this.#stopped) return;
      try {
        fn();
      } catch (err) {
        this.#logger.error({ err }, `${name} threw`);
      }
    });
  }
}
