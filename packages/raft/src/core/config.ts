// A Raft node's configuration, checked once at construction. Ticks are the
// driver's unit of time: the core has no clock.

import { InvalidArgument } from '@strata/engine';
import type { Storage } from '../storage/storage.js';
import type { NodeId } from '../types.js';

/** The randomness the core needs (election timeouts); injected so runs replay from a seed. */
export interface RandomSource {
  /** A uniform integer in [0, n). */
  int(n: number): number;
}

export type ReadOnlyOption = 'safe' | 'lease-based';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly rng: RandomSource;
  /** A follower campaigns after a random timeout in [electionTick, 2·electionTick) ticks without hearing from a leader. Default 10. */
  readonly electionTick?: number;
  /** A leader sends heartbeats every heartbeatTick ticks. Default 1; must be below electionTick. */
  readonly heartbeatTick?: number;
  /** The applied index to restart from (entries up to it are not handed out again). Default: the snapshot's index. */
  readonly applied?: number;
  /** Bytes of entry data per MsgApp (at least one entry is sent). Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Bytes of committed entries per Ready (at least one). Default 64 MiB. */
  readonly maxCommittedSizePerReady?: number;
  /** MsgApps in flight per follower in replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Bytes in flight per follower (0: no limit). Default 0. */
  readonly maxInflightBytes?: number;
  /** Bytes of uncommitted entry data the leader accepts before dropping proposals (0: no limit). Default 0. */
  readonly maxUncommittedEntriesSize?: number;
  /** A leader steps down if it has not heard from a quorum within an election timeout. Default true. */
  readonly checkQuorum?: boolean;
  /** Campaign with a pre-vote first, so a partitioned node cannot disrupt the cluster by raising terms. Default true. */
  readonly preVote?: boolean;
  /** How ReadIndex confirms leadership: a heartbeat round (safe) or the leader lease (needs checkQuorum). Default 'safe'. */
  readonly readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. Default false. */
  readonly disableProposalForwarding?: boolean;
}

export type ResolvedConfig = Required<Omit<RaftConfig, 'applied'>> & { readonly applied: number | undefined };

function positive(what: string, n: number, min = 1): number {
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgument(`${what} must be an integer of at least ${min}, got ${String(n)}`);
  return n;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  positive('id', c.id);
  const electionTick = positive('electionTick', c.electionTick ?? 10);
  const heartbeatTick = positive('heartbeatTick', c.heartbeatTick ?? 1);
  if (heartbeatTick >= electionTick) throw new InvalidArgument(`heartbeatTick ${heartbeatTick} must be below electionTick ${electionTick}`);
  const checkQuorum = c.checkQuorum ?? true;
  const readOnlyOption = c.readOnlyOption ?? 'safe';
  if (readOnlyOption !== 'safe' && readOnlyOption !== 'lease-based') throw new InvalidArgument(`readOnlyOption must be 'safe' or 'lease-based'`);
  if (readOnlyOption === 'lease-based' && !checkQuorum) throw new InvalidArgument('lease-based reads need checkQuorum');
  if (c.applied !== undefined) positive('applied', c.applied, 0);
  return {
    id: c.id,
    storage: c.storage,
    rng: c.rng,
    electionTick,
    heartbeatTick,
    applied: c.applied,
    maxSizePerMsg: positive('maxSizePerMsg', c.maxSizePerMsg ?? 1 << 20, 0),
    maxCommittedSizePerReady: positive('maxCommittedSizePerReady', c.maxCommittedSizePerReady ?? 64 << 20, 0),
    maxInflightMsgs: positive('maxInflightMsgs', c.maxInflightMsgs ?? 256),
    maxInflightBytes: positive('maxInflightBytes', c.maxInflightBytes ?? 0, 0),
    maxUncommittedEntriesSize: positive('maxUncommittedEntriesSize', c.maxUncommittedEntriesSize ?? 0, 0),
    checkQuorum,
    preVote: c.preVote ?? true,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
  };
}
