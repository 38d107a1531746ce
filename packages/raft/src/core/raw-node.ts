// The driver's handle on a Raft node (etcd raft's rawnode.go). The driver
// calls tick() on a timer, step() for each message received, and the
// propose/read/transfer inputs; then, while hasReady(), it takes ready(),
// handles it in the order below, and calls advance(ready):
//
//   1. Persist `snapshot` (if any), then `entries`, then `hardState` (if
//      any), durably when `mustSync`. Nothing below may happen before this.
//   2. Send `messages`. (They may promise what step 1 persisted: a vote, an
//      acknowledged entry.)
//   3. Apply `committedEntries` in order, and serve `readStates` once the
//      applied index reaches each one's index.
//   4. advance(ready).
//
// A crash may lose everything not yet persisted in step 1; the node restarts
// from Storage.

import { InvalidArgument, isEngineError } from '@strata/engine';
import { encodeConfChange, type ConfChange } from '../confchange/conf-change.js';
import { isRaftError } from '../errors.js';
import { EntryType, type ConfState, type Entry, type HardState, type Message, type NodeId, type ReadState, type Snapshot, type SoftState } from '../types.js';
import type { RaftConfig } from './config.js';
import { Raft } from './raft.js';

export interface Ready {
  /** Set when leader or role changed since the last Ready; never persisted. */
  readonly softState: SoftState | undefined;
  /** Set when term, vote or commit changed: persist with `entries`. */
  readonly hardState: HardState | undefined;
  /** Entries to append to storage (replacing any at or after the first's index) before sending `messages`. */
  readonly entries: readonly Entry[];
  /** A snapshot to install in storage before `entries`. */
  readonly snapshot: Snapshot | undefined;
  /** Entries committed and not yet applied, in order; apply after persisting. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** ReadIndex results: each may be served once the applied index reaches its index. */
  readonly readStates: readonly ReadState[];
  /** True if step 1 must be durable (fdatasync) before step 2: new entries, or a new term or vote. */
  readonly mustSync: boolean;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export class RawNode {
  readonly raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.#prevSoft = this.raft.softState;
    this.#prevHard = this.raft.hardState;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Campaigns now (after a pre-vote when configured). */
  campaign(): void {
    this.raft.hup('election');
  }

  /** Proposes a command; ProposalDropped if there is no leader to take it. */
  propose(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new InvalidArgument('a proposal is a Uint8Array');
    this.raft.propose([{ type: EntryType.Normal, data }]);
  }

  /**
   * Proposes a membership change. InvalidArgument if it is not valid against
   * the current configuration; ProposalDropped if an earlier one is not
   * applied yet (or there is no leader to take it).
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.propose([{ type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
  }

  /**
   * Applies a committed ConfChange entry's change, in log order with the
   * other committed entries, and returns the configuration now in force.
   * InvalidArgument (configuration unchanged) if it is not valid here; every
   * node refuses it alike, so the driver may skip the entry.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Steps a message received from a peer. This node's own proposals and
   * reads go through propose() and readIndex(); a peer's may arrive here
   * (forwarded, perhaps back to the node that first forwarded them).
   */
  step(m: Message): void {
    if (!this.raft.trk.progress.has(m.from) && (m.type === 'MsgAppResp' || m.type === 'MsgHeartbeatResp')) return;
    if (m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') {
      this.raft.step(m);
      return;
    }
    try {
      this.raft.step(m);
    } catch (err) {
      // A peer's forwarded proposal or read that this node cannot take is
      // dropped; the peer's client times out and retries, as over a lossy network.
      if (!isRaftError(err, 'ProposalDropped') && !isEngineError(err, 'InvalidArgument') && !isEngineError(err, 'Corruption')) throw err;
    }
  }

  /** Asks for a linearizable read point; the answer comes as a ReadState carrying `context`. */
  readIndex(context: Uint8Array): void {
    this.raft.step({ type: 'MsgReadIndex', from: this.raft.id, to: this.raft.id, term: 0, context });
  }

  /** Asks the leader to hand leadership to `to`. */
  transferLeader(to: NodeId): void {
    // A follower forwards it to the leader; `from` names the transferee.
    this.raft.step({ type: 'MsgTransferLeader', from: to, to: this.raft.id, term: 0 });
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    this.raft.reportSnapshot(id, status === 'finish');
  }

  hasReady(): boolean {
    const r = this.raft;
    // Field by field: the driver asks after every input, and the softState and hardState getters build records.
    if (r.lead !== this.#prevSoft.lead || r.role !== this.#prevSoft.role) return true;
    if (r.term !== this.#prevHard.term || r.vote !== this.#prevHard.vote || r.log.committed !== this.#prevHard.commit) return true;
    if (r.log.unstable.snapshot !== undefined) return true;
    return r.msgs.length > 0 || r.log.unstable.entries.length > 0 || r.log.hasNextCommittedEntries() || r.readStates.length > 0;
  }

  /** What to persist, send and apply now; its messages and read states are handed over (a second ready() before advance() repeats only the rest). */
  ready(): Ready {
    const r = this.raft;
    const soft = r.softState;
    const hard = r.hardState;
    const entries = r.log.unstableEntries();
    const hardChanged = !sameHardState(hard, this.#prevHard);
    return {
      softState: soft.lead !== this.#prevSoft.lead || soft.role !== this.#prevSoft.role ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      entries,
      snapshot: r.log.unstable.snapshot,
      committedEntries: r.log.nextCommittedEntries(r.cfg.maxCommittedSizePerReady),
      // Handed over: messages and read states produced from here on go to the next Ready.
      messages: r.takeMessages(),
      readStates: r.takeReadStates(),
      mustSync: entries.length > 0 || hard.term !== this.#prevHard.term || hard.vote !== this.#prevHard.vote,
    };
  }

  /** The driver handled `rd` (persisted, sent, applied). */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.softState !== undefined) this.#prevSoft = rd.softState;
    if (rd.hardState !== undefined) this.#prevHard = rd.hardState;
    if (rd.snapshot !== undefined) {
      r.log.stableSnapTo(rd.snapshot.meta.index);
      // The driver installed it: the state machine is at its index.
      r.log.appliedTo(rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) r.log.stableTo(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied !== undefined) r.appliedTo(applied.index);
  }
}
