// The Raft state machine (etcd raft's raft.go): roles, elections (with
// PreVote and CheckQuorum), replication with per-follower progress, commit by
// quorum counting only entries of the current term, snapshots, ReadIndex and
// leader transfer. It does no I/O and reads no clock: time is tick(), input
// is step(), and output accumulates in `msgs`, `readStates` and the log's
// unstable tail for RawNode to hand out in a Ready. Single-threaded; nothing
// in it awaits.

import { InvalidArgument } from '@strata/engine';
import { changeConfig } from '../confchange/changer.js';
import { decodeConfChange, encodeConfChange, LEAVE_JOINT, type ConfChange } from '../confchange/conf-change.js';
import { isRaftError, ProposalDropped } from '../errors.js';
import { RaftInvariantError, RaftLog } from '../log/raft-log.js';
import { jointVote } from '../quorum/quorum.js';
import type { Progress } from '../tracker/progress.js';
import { ProgressTracker, configFromConfState } from '../tracker/tracker.js';
import { EntryType, NONE, type Entry, type HardState, type Message, type MsgApp, type MsgAppResp, type MsgHeartbeat, type MsgSnap, type MsgVote, type NodeId, type ConfState, type ReadState, type Role, type Snapshot, type SoftState } from '../types.js';
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js';
import { ReadOnly } from './read-only.js';

type Campaign = 'pre' | 'election' | 'transfer';

const EMPTY = new Uint8Array(0);

/** Message fields other than from and term, which send() fills in. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'from' | 'term'> & { readonly term?: number } : never) : never;

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  /** Output: messages to send once the Ready's entries and hard state are durable. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  /** Ticks since the last election timeout reset (followers, candidates) or CheckQuorum round (leaders). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** The node a leader transfer is handing leadership to, or NONE. */
  leadTransferee: NodeId = NONE;
  /** A conf change may be proposed only once the log is applied past this index. */
  pendingConfIndex = 0;
  /** Bytes of entry data appended and not yet committed; tracked only under maxUncommittedEntriesSize. */
  uncommittedSize = 0;
  readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  pendingReadIndex: { context: Uint8Array; from: NodeId }[] = [];
  /** #peers()'s cache: the progress map it was computed from, and the sorted ids. */
  #peersOf: ReadonlyMap<NodeId, Progress> | undefined;
  #peerIds: readonly NodeId[] = [];

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.trk.apply(configFromConfState(confState), this.log.lastIndex() + 1);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.#loadState(hardState);
    // The state machine restarts from the snapshot (the log may keep entries below it).
    const applied = this.cfg.applied ?? this.cfg.storage.snapshot().meta.index;
    if (applied > this.log.applied) this.log.appliedTo(applied);
    this.becomeFollower(this.term, NONE);
  }

  #loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) throw new RaftInvariantError(`hard state commit ${hs.commit} is outside [${this.log.committed}, ${this.log.lastIndex()}]`);
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /** The messages produced so far, leaving none. */
  takeMessages(): Message[] {
    const out = this.msgs;
    this.msgs = [];
    return out;
  }

  takeReadStates(): ReadState[] {
    const out = this.readStates;
    this.readStates = [];
    return out;
  }

  get hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  get softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  /** The election timeout in ticks (the base of the randomized one). */
  get electionTimeout(): number {
    return this.cfg.electionTick;
  }

  // ------------------------------------------------------------ role changes

  #reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.rng.int(this.cfg.electionTick);
    this.leadTransferee = NONE;
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.recentActive = id === this.id;
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('a leader cannot become a pre-candidate');
    // A pre-vote changes neither term nor vote.
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = 'precandidate';
  }

  becomeCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('a leader cannot become a candidate');
    this.#reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    if (this.role === 'follower') throw new RaftInvariantError('a follower cannot become leader without an election');
    this.#reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.trk.progress.get(this.id)?.becomeReplicate();
    // Conf changes wait until everything in the log so far is applied.
    this.pendingConfIndex = this.log.lastIndex();
    // An empty entry of the new term: committing it commits everything before it (§5.4.2).
    this.#appendEntries([{ index: 0, term: 0, type: EntryType.Normal, data: EMPTY }]);
  }

  // ------------------------------------------------------------ inputs

  tick(): void {
    if (this.role === 'leader') this.#tickHeartbeat();
    else this.#tickElection();
  }

  #tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup('election');
    }
  }

  #tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.#checkQuorum();
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.#bcastHeartbeat();
      this.#maybeAutoLeave();
    }
  }

  #checkQuorum(): void {
    if (!this.trk.quorumActive(this.id)) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
  }

  /** A member that may become leader: a voter, not a learner, with no snapshot waiting to be persisted. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.log.unstable.snapshot === undefined;
  }

  /** Starts an election (after a pre-vote when configured), unless this node cannot or must not. */
  hup(kind: 'election' | 'transfer'): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.#hasUnappliedConfChange()) return;
    this.#campaign(kind === 'transfer' ? 'transfer' : this.cfg.preVote ? 'pre' : 'election');
  }

  #hasUnappliedConfChange(): boolean {
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    if (this.log.committed < lo) return false;
    for (const e of this.log.slice(lo, this.log.committed + 1, Number.MAX_SAFE_INTEGER)) if (e.type === EntryType.ConfChange) return true;
    return false;
  }

  #campaign(kind: Campaign): void {
    let type: 'MsgVote' | 'MsgPreVote';
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      type = 'MsgPreVote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = 'MsgVote';
      term = this.term;
    }
    if (this.#poll(this.id, true) === 'won') {
      // A single-voter configuration.
      if (kind === 'pre') this.#campaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of [...this.trk.voterIds()].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.#send({ type, to: id, term, index, logTerm, transfer: kind === 'transfer' });
    }
  }

  #poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(id, granted);
    return this.trk.tally().result;
  }

  /** Proposes entries of data (the leader appends them; a follower forwards them). Throws ProposalDropped when it cannot. */
  propose(entries: readonly { readonly type: EntryType; readonly data: Uint8Array }[]): void {
    const es = entries.map((e) => ({ index: 0, term: 0, type: e.type, data: e.data }));
    this.step({ type: 'MsgProp', from: this.id, to: this.id, term: 0, entries: es });
  }

  /** Processes a message from a peer (or a local proposal / read request). */
  step(m: Message): void {
    if (m.term === 0) {
      // Local: a proposal or a read from this node's own driver.
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        // A node that heard from a live leader recently ignores disruptive campaigns (§4.2.3), unless the leader is handing over.
        if (inLease && !m.transfer) return;
      }
      if (m.type === 'MsgPreVote') {
        // Never change term for a pre-vote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // The term is the one we would campaign in; it is taken when the pre-vote is won.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') this.becomeFollower(m.term, m.from);
      else this.becomeFollower(m.term, NONE);
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (one partitioned away, which cannot raise its term
        // with pre-vote) learns the new term from this response and steps down.
        this.#sendAppResp(m.from, 0, false, 0, 0);
      } else if (m.type === 'MsgPreVote') {
        this.#send({ type: 'MsgPreVoteResp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.#handleVote(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.#stepLeader(m);
        break;
      case 'candidate':
      case 'precandidate':
        this.#stepCandidate(m);
        break;
      case 'follower':
        this.#stepFollower(m);
        break;
    }
  }

  #handleVote(m: MsgVote): void {
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === 'MsgPreVote' && m.term > this.term);
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // The response carries the vote's term, so the candidate counts it (for a pre-vote our term may be lower).
      this.#send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else this.#send({ type: respType, to: m.from, reject: true });
  }

  // ------------------------------------------------------------ leader

  #stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        this.#leaderPropose(m.entries);
        return;
      case 'MsgReadIndex':
        this.#leaderReadIndex(m.context, m.from);
        return;
      case 'MsgTransferLeader':
        this.#leaderTransfer(m.from);
        return;
      default:
        break;
    }
    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case 'MsgAppResp':
        this.#handleAppResp(m, pr);
        break;
      case 'MsgHeartbeatResp': {
        pr.recentActive = true;
        pr.probeSent = false;
        // The follower is alive: if its window is full, the MsgApps (or their
        // acknowledgements) may be lost; free a slot so replication resumes
        // (a gap makes the follower reject, and the leader probes back).
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.log.lastIndex()) this.#sendAppend(m.from);
        if (this.cfg.readOnlyOption !== 'safe' || m.context.length === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (acks === undefined) return;
        const votes = new Map<NodeId, boolean>([[this.id, true]]);
        for (const id of acks) votes.set(id, true);
        if (jointVote(this.trk.config.voters, votes) !== 'won') return;
        for (const r of this.readOnly.advance(m.context)) this.#answerRead(r.index, r.context, r.from);
        break;
      }
      default:
        break;
    }
  }

  #leaderPropose(entries: readonly Entry[]): void {
    if (entries.length === 0) throw new InvalidArgument('a proposal needs at least one entry');
    if (!this.trk.progress.has(this.id)) throw new ProposalDropped('this node was removed from the configuration');
    if (this.leadTransferee !== NONE) throw new ProposalDropped(`leadership is being transferred to ${this.leadTransferee}`);
    let confChanges = 0;
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      // One conf change at a time, and none while an earlier one is unapplied:
      // then the configuration it will be applied to is the current one, and
      // checking it against that refuses it here rather than at every node.
      if (++confChanges > 1) throw new InvalidArgument('a proposal carries at most one conf change');
      if (this.pendingConfIndex > this.log.applied) throw new ProposalDropped(`a conf change at ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})`);
      changeConfig(this.trk.config, decodeConfChange(e.data, this.log.lastIndex() + 1));
    }
    if (!this.#appendEntries(entries)) throw new ProposalDropped('too many uncommitted entry bytes');
    if (confChanges > 0) this.pendingConfIndex = this.log.lastIndex();
    this.#bcastAppend();
  }

  // ------------------------------------------------------------ membership

  /**
   * Applies a committed conf change (the driver calls this as it applies the
   * entry, in log order). InvalidArgument, with the configuration unchanged,
   * if the change is not valid against the current one; every node decides
   * that identically, so the driver may skip the entry.
   */
  applyConfChange(cc: ConfChange): ConfState {
    // New members are probed from the last entry, so a leader sends them something at once.
    this.trk.apply(changeConfig(this.trk.config, cc), Math.max(this.log.lastIndex(), 1));
    const cs = this.trk.confState();
    const self = this.trk.progress.get(this.id);
    if (this.role !== 'leader') return cs;
    if (self === undefined || self.isLearner) {
      // A removed (or demoted) leader steps down; the rest elect a new one.
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    // A smaller quorum may commit more; new members are probed at once.
    if (this.#maybeCommit()) this.#bcastAppend();
    else for (const id of this.#peers()) this.#maybeSendAppend(id, false);
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee)) this.leadTransferee = NONE;
    return cs;
  }

  /** The driver applied entries up to `index`. A leader in a joint configuration with autoLeave proposes leaving it once the entry that entered it is applied. */
  appliedTo(index: number): void {
    this.log.appliedTo(index);
    this.#maybeAutoLeave();
  }

  #maybeAutoLeave(): void {
    if (this.role !== 'leader' || !this.trk.config.autoLeave || this.log.applied < this.pendingConfIndex) return;
    try {
      this.#leaderPropose([{ index: 0, term: 0, type: EntryType.ConfChange, data: encodeConfChange(LEAVE_JOINT) }]);
    } catch (err) {
      // A leader transfer or the uncommitted-size limit holds it back: retried at the next apply or heartbeat tick.
      if (!isRaftError(err, 'ProposalDropped')) throw err;
    }
  }

  /** Appends entries of the leader's term; false (and nothing appended) past the uncommitted size limit. */
  #appendEntries(entries: readonly Entry[]): boolean {
    let bytes = 0;
    for (const e of entries) bytes += e.data.length;
    const limit = this.cfg.maxUncommittedEntriesSize;
    if (limit > 0) {
      if (this.uncommittedSize > 0 && bytes > 0 && this.uncommittedSize + bytes > limit) return false;
      this.uncommittedSize += bytes;
    }
    let li = this.log.lastIndex();
    const es = entries.map((e) => ({ index: ++li, term: this.term, type: e.type, data: e.data }));
    li = this.log.append(es);
    // The leader's own entries count toward the quorum at once: the Ready
    // contract has the driver persist them before it sends any message or
    // applies any committed entry (raw-node.ts).
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    this.#maybeCommit();
    return true;
  }

  #maybeCommit(): boolean {
    const before = this.log.committed;
    const mci = this.trk.committed();
    if (!this.log.maybeCommit(mci === Infinity ? this.log.lastIndex() : mci, this.term)) return false;
    this.#reduceUncommitted(before);
    if (this.pendingReadIndex.length > 0 && this.committedInTerm()) {
      const pending = this.pendingReadIndex;
      this.pendingReadIndex = [];
      for (const r of pending) this.#leaderReadIndex(r.context, r.from);
    }
    return true;
  }

  /** Without a limit uncommittedSize stays 0, and committing reads no entries back. */
  #reduceUncommitted(before: number): void {
    if (this.uncommittedSize === 0) return;
    let bytes = 0;
    for (const e of this.log.slice(before + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER)) bytes += e.data.length;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - bytes);
  }

  /** True once this leader has committed an entry of its own term: only then does it know the cluster's commit index (§8). */
  committedInTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  #handleAppResp(m: MsgAppResp, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let next = m.rejectHint;
      if (m.logTerm > 0) next = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, next)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      if (this.#maybeCommit()) this.#bcastAppend();
      else if (wasPaused) this.#sendAppend(m.from);
      // Stream further entries while the window allows.
      while (pr.state === 'replicate' && this.#maybeSendAppend(m.from, false));
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.#send({ type: 'MsgTimeoutNow', to: m.from });
    }
  }

  #leaderReadIndex(context: Uint8Array, from: NodeId): void {
    if (this.trk.isSingleton()) {
      this.#answerRead(this.log.committed, context, from);
      return;
    }
    // Until it commits an entry of its term, the leader does not know the latest commit index (§6.4).
    if (!this.committedInTerm()) {
      this.pendingReadIndex.push({ context, from });
      return;
    }
    // The lease: a quorum heard from since the last CheckQuorum round (less
    // than an election timeout ago) still ignores campaigns, so no other
    // leader can exist yet. That assumes clock drift and message delays well
    // below an election timeout. Without such evidence, fall back to a round.
    if (this.cfg.readOnlyOption === 'lease-based' && this.trk.quorumActive(this.id)) {
      this.#answerRead(this.log.committed, context, from);
      return;
    }
    this.readOnly.add(this.log.committed, context, from);
    this.#bcastHeartbeat(context);
  }

  #answerRead(index: number, context: Uint8Array, from: NodeId): void {
    if (from === this.id || from === NONE) this.readStates.push({ index, context });
    else this.#send({ type: 'MsgReadIndexResp', to: from, index, context });
  }

  #leaderTransfer(transferee: NodeId): void {
    const pr = this.trk.progress.get(transferee);
    if (pr === undefined || pr.isLearner) return;
    if (this.leadTransferee === transferee || transferee === this.id) return;
    this.leadTransferee = transferee;
    // The transfer must finish within an election timeout, or it is abandoned.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.#send({ type: 'MsgTimeoutNow', to: transferee });
    else this.#sendAppend(transferee);
  }

  /** The driver could not reach `id`: stop streaming to it until it answers a probe. */
  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.trk.progress.get(id);
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** The driver's report on a snapshot sent to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.trk.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the next heartbeat response before probing (the follower may still be applying it).
    pr.probeSent = true;
  }

  // ------------------------------------------------------------ candidate, follower

  #stepCandidate(m: Message): void {
    const myResp = this.role === 'precandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        throw new ProposalDropped('no leader (an election is in progress)');
      case 'MsgApp':
      case 'MsgHeartbeat':
      case 'MsgSnap':
        // A leader of our term exists.
        this.becomeFollower(m.term, m.from);
        this.#handleFromLeader(m);
        return;
      case 'MsgVoteResp':
      case 'MsgPreVoteResp': {
        if (m.type !== myResp) return;
        const result = this.#poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'precandidate') this.#campaign('election');
          else {
            this.becomeLeader();
            this.#bcastAppend();
          }
        } else if (result === 'lost') this.becomeFollower(this.term, NONE);
        return;
      }
      case 'MsgReadIndex':
        throw new ProposalDropped('no leader to serve a read index');
      default:
        return;
    }
  }

  #stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) throw new ProposalDropped('no leader');
        if (this.cfg.disableProposalForwarding) throw new ProposalDropped('proposal forwarding is disabled');
        this.#send({ type: 'MsgProp', to: this.lead, term: 0, entries: m.entries });
        return;
      case 'MsgApp':
      case 'MsgHeartbeat':
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.#handleFromLeader(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) return;
        this.#send({ type: 'MsgTransferLeader', to: this.lead, term: 0 }, m.from);
        return;
      case 'MsgTimeoutNow':
        // Leadership is handed to us: campaign at once, skipping the pre-vote.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) throw new ProposalDropped('no leader to serve a read index');
        this.#send({ type: 'MsgReadIndex', to: this.lead, term: 0, context: m.context }, m.from === NONE ? this.id : m.from);
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  #handleFromLeader(m: MsgApp | MsgHeartbeat | MsgSnap): void {
    if (m.type === 'MsgApp') this.#handleAppend(m);
    else if (m.type === 'MsgHeartbeat') this.#handleHeartbeat(m);
    else this.#handleSnapshot(m);
  }

  #handleAppend(m: MsgApp): void {
    if (m.index < this.log.committed) {
      this.#sendAppResp(m.from, this.log.committed, false, 0, 0);
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.#sendAppResp(m.from, lastNew, false, 0, 0);
      return;
    }
    // Name the last entry that could match, so the leader skips a whole term of mismatches at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.#sendAppResp(m.from, m.index, true, hint.index, hint.term);
  }

  #handleHeartbeat(m: MsgHeartbeat): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.msgs.push({ type: 'MsgHeartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  #handleSnapshot(m: MsgSnap): void {
    const index = this.#restore(m.snapshot) ? this.log.lastIndex() : this.log.committed;
    this.#sendAppResp(m.from, index, false, 0, 0);
  }

  /** Installs a snapshot the leader sent; false if it holds nothing new. */
  #restore(snap: Snapshot): boolean {
    const meta = snap.meta;
    if (meta.index <= this.log.committed) return false;
    const cs = meta.confState;
    const member = cs.voters.includes(this.id) || cs.learners.includes(this.id) || cs.votersOutgoing.includes(this.id);
    // A snapshot of a configuration without this node comes from a confused leader: ignore it.
    if (!member) return false;
    if (this.log.matchTerm(meta.index, meta.term)) {
      // The log already holds the snapshot's last entry: just commit up to it.
      this.log.commitTo(meta.index);
      return false;
    }
    this.log.restore(snap);
    this.trk.progress = new Map();
    this.trk.apply(configFromConfState(cs), this.log.lastIndex() + 1);
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) self.match = this.log.lastIndex();
    return true;
  }

  // ------------------------------------------------------------ sending

  /**
   * Sends a copy of `m` with from and term filled in. The messages of the
   * replication path (MsgApp, MsgAppResp, heartbeats) are built whole by
   * their own senders below instead: a spread that sees every message shape
   * is megamorphic in V8 and cost a microsecond or more per message.
   */
  #send(m: Outgoing, from: NodeId = this.id): void {
    const term = m.term ?? this.term;
    this.msgs.push({ ...m, from, term });
  }

  #sendAppResp(to: NodeId, index: number, reject: boolean, rejectHint: number, logTerm: number): void {
    this.msgs.push({ type: 'MsgAppResp', from: this.id, to, term: this.term, index, reject, rejectHint, logTerm });
  }

  #sendAppend(to: NodeId): void {
    this.#maybeSendAppend(to, true);
  }

  /** Sends to `to` the entries it lacks (or a snapshot when they are compacted); false if nothing was sent. */
  #maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let entries: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      entries = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (err) {
      if (!isRaftError(err, 'Compacted')) throw err;
      return this.#sendSnapshot(to, pr);
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.msgs.push({ type: 'MsgApp', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    let bytes = 0;
    for (const e of entries) bytes += e.data.length;
    pr.sentEntries(prevIndex + entries.length, bytes, entries.length);
    return true;
  }

  #sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    let snap: Snapshot;
    try {
      snap = this.log.snapshot();
    } catch (err) {
      if (isRaftError(err, 'SnapshotTemporarilyUnavailable')) return false;
      throw err;
    }
    if (snap.meta.index === 0) throw new RaftInvariantError('need a snapshot to catch a follower up, but storage has none');
    pr.becomeSnapshot(snap.meta.index);
    this.#send({ type: 'MsgSnap', to, snapshot: snap });
    return true;
  }

  #bcastAppend(): void {
    for (const id of this.#peers()) this.#sendAppend(id);
  }

  #bcastHeartbeat(context?: Uint8Array): void {
    const ctx = context ?? this.readOnly.lastContext() ?? EMPTY;
    for (const id of this.#peers()) {
      const pr = this.trk.progress.get(id);
      // A follower must not commit past what it is known to hold.
      const commit = Math.min(pr?.match ?? 0, this.log.committed);
      this.msgs.push({ type: 'MsgHeartbeat', from: this.id, to: id, term: this.term, commit, context: ctx });
    }
  }

  /** Every other member, in id order (so runs replay exactly). Cached per configuration: the tracker replaces its progress map whenever membership changes. Callers must not modify it. */
  #peers(): readonly NodeId[] {
    if (this.#peersOf !== this.trk.progress) {
      this.#peersOf = this.trk.progress;
      this.#peerIds = [...this.trk.progress.keys()].filter((id) => id !== this.id).sort((a, b) => a - b);
    }
    return this.#peerIds;
  }
}
