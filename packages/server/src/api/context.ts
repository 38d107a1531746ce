// What the gRPC services need from the server, so each service file stays a
// thin translation between etcd's messages and the server's operations.

import type { ServerConfig } from '../config/options.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics/metrics.js';
import type { Command } from '../raft/command.js';
import type { WatchHub } from '../watch/watch-hub.js';

export interface ResponseHeader {
  readonly cluster_id: string;
  readonly member_id: string;
  readonly revision: string;
  readonly raft_term: string;
}

export interface ServerContext {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly hub: WatchHub;
  /** A header stamped with `revision` (default: the store's current revision). */
  header(revision?: number): ResponseHeader;
  /** Proposes a command through Raft and resolves with its apply result (or rejects with its apply error). */
  propose<T>(cmd: Command): Promise<T>;
  /** Resolves once a linearizable read may be served from the local state machine (ReadIndex). */
  linearizableBarrier(): Promise<void>;
}
