// The records Raft exchanges with its driver and its peers. Indexes, terms
// and node ids are JavaScript safe integers; node id 0 means "none".
// Invariants sit in the field comments. Messages are a discriminated union on
// `type`; every message carries from, to and the sender's term (0 for the
// local-only ones a driver never sends).

export type NodeId = number;
/** No node: no vote, no leader. */
export const NONE: NodeId = 0;

export const enum EntryType {
  Normal = 0,
  /** data is an encoded ConfChange (conf-change.ts). */
  ConfChange = 1,
}

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log. Invariant: term never decreases; vote changes only with term. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

/** Volatile state the driver may want to show; never persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/**
 * A membership. Outside a joint configuration votersOutgoing is empty. In a
 * joint one (entered by a ConfChange of several changes), decisions need a
 * majority of `voters` and of `votersOutgoing`. learnersNext are voters of
 * the outgoing config that become learners when the joint config is left.
 * autoLeave: the leader proposes leaving the joint config by itself.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** The application's state up to meta.index; data is opaque to Raft. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = { meta: { index: 0, term: 0, confState: EMPTY_CONF_STATE }, data: new Uint8Array(0) };

/** A read that may be served once the applied index reaches `index` (ReadIndex). */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Leader → follower: entries after (index, logTerm), and the leader's commit index. */
export interface MsgApp extends Base {
  readonly type: 'MsgApp';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Follower → leader. Accepted: index is the follower's last index matching
 * the leader. Rejected: index is the MsgApp's index, and (rejectHint,
 * logTerm) name the follower's last entry at or below it whose term is at
 * most the MsgApp's logTerm, so the leader can skip a whole term back.
 */
export interface MsgAppResp extends Base {
  readonly type: 'MsgAppResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** A vote request; for a pre-vote, term is the term the sender would campaign in. */
export interface MsgVote extends Base {
  readonly type: 'MsgVote' | 'MsgPreVote';
  readonly index: number;
  readonly logTerm: number;
  /** Set when the campaign comes from a leader transfer: voters disregard their leader lease. */
  readonly transfer: boolean;
}

export interface MsgVoteResp extends Base {
  readonly type: 'MsgVoteResp' | 'MsgPreVoteResp';
  readonly reject: boolean;
}

/** Leader → follower. commit is capped at what the follower is known to hold. */
export interface MsgHeartbeat extends Base {
  readonly type: 'MsgHeartbeat';
  readonly commit: number;
  /** A ReadIndex round's context, echoed back (empty otherwise). */
  readonly context: Uint8Array;
}

export interface MsgHeartbeatResp extends Base {
  readonly type: 'MsgHeartbeatResp';
  readonly context: Uint8Array;
}

export interface MsgSnap extends Base {
  readonly type: 'MsgSnap';
  readonly snapshot: Snapshot;
}

/** Leader → transfer target: campaign now. */
export interface MsgTimeoutNow extends Base {
  readonly type: 'MsgTimeoutNow';
}

/** A proposal forwarded to the leader. */
export interface MsgProp extends Base {
  readonly type: 'MsgProp';
  readonly entries: readonly Entry[];
}

/** A ReadIndex request forwarded to the leader. */
export interface MsgReadIndex extends Base {
  readonly type: 'MsgReadIndex';
  readonly context: Uint8Array;
}

export interface MsgReadIndexResp extends Base {
  readonly type: 'MsgReadIndexResp';
  readonly index: number;
  readonly context: Uint8Array;
}

/** A leader transfer request forwarded to the leader; `from` is the transferee. */
export interface MsgTransferLeader extends Base {
  readonly type: 'MsgTransferLeader';
}

export type Message =
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgSnap
  | MsgTimeoutNow
  | MsgProp
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTransferLeader;

export type MessageType = Message['type'];

export function isResponse(m: Message): boolean {
  return m.type === 'MsgAppResp' || m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp' || m.type === 'MsgHeartbeatResp' || m.type === 'MsgReadIndexResp';
}
