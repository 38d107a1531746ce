// What a PeerTransport is started with, and the defaults it fills in. The
// callbacks run on later event-loop turns, never inside send(), and a callback
// that throws is logged and otherwise ignored. No callback runs after stop().

import type { Message, NodeId } from '@strata/raft';

/** The part of a pino logger the transport uses. */
export interface PeerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type SnapshotStatus = 'finish' | 'failure';

export interface PeerTransportOptions {
  /** Every hello carries it; calls from another cluster are refused. Invariant: 0 <= clusterId < 2^64. */
  readonly clusterId: bigint;
  readonly selfId: NodeId;
  /** `host:port` to serve peers on; port 0 picks a free one (see PeerTransport.port). */
  readonly listen: string;
  readonly logger?: PeerLogger;
  /** A message from a peer, addressed to this node by the peer the stream's hello named. */
  readonly onMessage: (m: Message) => void;
  /** Messages to `id` were dropped or its connection failed. At most once per unreachableIntervalMs per peer. */
  readonly onUnreachable: (id: NodeId) => void;
  /** Exactly once per MsgSnap handed to send(), unless stop() comes first. */
  readonly onSnapshotStatus: (id: NodeId, status: SnapshotStatus) => void;
  /** Encoded bytes queued per peer before further messages are dropped. Default 8 MiB. */
  readonly maxQueueBytes?: number;
  /** Reconnect backoff floor and ceiling. Defaults 50 ms and 1 s. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Default 100 ms. */
  readonly unreachableIntervalMs?: number;
  /** The largest snapshot a peer may send this node. Default 2 GiB. */
  readonly maxSnapshotBytes?: number;
  /** How long one snapshot send may take before it fails. Default 10 minutes. */
  readonly snapshotTimeoutMs?: number;
}

export const DEFAULTS = {
  maxQueueBytes: 8 * 1024 * 1024,
  reconnectMinMs: 50,
  reconnectMaxMs: 1000,
  unreachableIntervalMs: 100,
  maxSnapshotBytes: 2 * 1024 * 1024 * 1024,
  snapshotTimeoutMs: 10 * 60 * 1000,
} as const;

export const SILENT_LOGGER: PeerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
