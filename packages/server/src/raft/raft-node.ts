// The Raft driver: owns a RawNode over RaftLogStorage and runs its Ready
// loop (raw-node.ts's contract): persist with one fdatasync per Ready that
// needs it, send, apply committed entries through the ApplyTarget, serve
// ReadIndex results, advance. Inputs (ticks, peer messages, proposals, reads)
// arrive from timers and sockets between awaits; the core queues their
// effects for the next Ready. One loop runs at a time; apply is serial.

import { Corruption } from '@strata/engine';
import {
  decodeConfChange,
  EMPTY_CONF_STATE,
  EntryType,
  isRaftError,
  RawNode,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftLogStorage,
  type Ready,
  type Snapshot,
} from '@strata/raft';
import type { RaftLogStore } from '@strata/raftlog';
import { EtcdError } from '../errors.js';
import type { Logger } from '../log.js';
import { ReadIndexBatcher } from './read-index.js';

/** The state machine as the driver sees it. */
export interface ApplyTarget {
  /** The last entry index whose effects the state machine holds (0 for none). */
  readonly appliedIndex: number;
  /** Applies one normal entry (empty ones included: a new leader's entry only moves the applied index). */
  applyEntry(entry: Entry): Promise<void>;
  /** Records a conf change entry the core has applied; `confState` is the configuration after it. */
  applyConfChange(entry: Entry, cc: ConfChange, confState: ConfState): Promise<void>;
  /** Replaces the whole state with a snapshot's data (whose meta.index becomes the applied index). */
  restore(snapshot: Snapshot): Promise<void>;
  /** The state at the applied index, taken synchronously at the call. */
  exportState(): { readonly index: number; readonly data: Promise<Uint8Array> };
  /** Makes every applied entry durable (before the log behind it is compacted). */
  sync(): Promise<void>;
}

export interface PeerSender {
  send(messages: readonly Message[]): void;
}

export interface RaftNodeOptions {
  readonly id: NodeId;
  readonly storage: RaftLogStorage;
  readonly logStore: RaftLogStore;
  readonly target: ApplyTarget;
  readonly peers: PeerSender;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly electionTicks: number;
  readonly snapshotCount: number;
  readonly snapshotCatchupEntries: number;
  readonly fsync: boolean;
  readonly rng: { int(n: number): number };
  /** Called with the new leader (0 for none) and term whenever either changes. */
  readonly onLeaderChange?: (leader: NodeId, term: number) => void;
  /** Observes each persisted Ready (metrics). */
  readonly onPersist?: (seconds: number, entries: number) => void;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly leader: NodeId;
  readonly term: number;
  readonly role: string;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
}

const EMPTY = new Uint8Array(0);

export class RaftNode {
  readonly id: NodeId;
  readonly #o: RaftNodeOptions;
  readonly #node: RawNode;
  readonly #reads: ReadIndexBatcher;
  #confState: ConfState;
  #snapshotIndex: number;
  #leader: NodeId = 0;
  #term = 0;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #failed: unknown;
  /** Waiters for the applied index to reach a value. */
  readonly #appliedWaiters: { index: number; resolve: () => void }[] = [];

  constructor(o: RaftNodeOptions) {
    this.id = o.id;
    this.#o = o;
    const snap = o.storage.snapshotMeta;
    this.#snapshotIndex = snap.index;
    this.#confState = snap.index > 0 ? snap.confState : EMPTY_CONF_STATE;
    this.#node = new RawNode({
      id: o.id,
      storage: o.storage,
      rng: o.rng,
      electionTick: o.electionTicks,
      heartbeatTick: 1,
      checkQuorum: true,
      preVote: true,
      maxSizePerMsg: 1 << 20,
      maxInflightMsgs: 256,
      maxUncommittedEntriesSize: 1 << 30,
    });
    this.#reads = new ReadIndexBatcher({
      request: (ctx) => this.#node.readIndex(ctx),
      wake: () => this.#wakeUp(),
      waitApplied: (index) => this.waitApplied(index),
    });
  }

  /** Starts ticking and the Ready loop. */
  start(): void {
    this.#timer = setInterval(() => {
      this.#node.tick();
      this.#reads.tick();
      this.#wakeUp();
    }, this.#o.heartbeatMs);
    this.#timer.unref();
    // A lone voter need not wait out an election timeout.
    const cs = this.#node.raft.trk.confState();
    if (cs.voters.length === 1 && cs.voters[0] === this.id && cs.votersOutgoing.length === 0) this.#node.campaign();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#reads.failAll(new EtcdError('Stopped'));
    this.#wakeUp();
    await this.#loop;
  }

  get leader(): NodeId {
    return this.#leader;
  }

  get term(): number {
    return this.#term;
  }

  get isLeader(): boolean {
    return this.#leader === this.id;
  }

  get confState(): ConfState {
    return this.#confState;
  }

  status(): RaftStatus {
    const r = this.#node.raft;
    return {
      id: this.id,
      leader: this.#leader,
      term: r.hardState.term,
      role: r.softState.role,
      commit: r.hardState.commit,
      applied: this.#o.target.appliedIndex,
      lastIndex: r.log.lastIndex(),
      confState: this.#confState,
    };
  }

  /** The leader's view of a member's replication (undefined on followers or for non-members). */
  progressOf(id: NodeId): { readonly match: number } | undefined {
    return this.isLeader ? this.#node.raft.trk.progress.get(id) : undefined;
  }

  /** A message from a peer. Bad messages are logged and dropped. */
  step(m: Message): void {
    if (this.#stopped) return;
    try {
      this.#node.step(m);
    } catch (err) {
      this.#o.logger.warn({ err, from: m.from, type: m.type }, 'dropped a peer message');
      return;
    }
    this.#wakeUp();
  }

  /** Proposes one entry; NoLeader if the core drops it (no leader known, or a transfer). */
  propose(data: Uint8Array): void {
    this.#check();
    try {
      this.#node.propose(data);
    } catch (err) {
      if (isRaftError(err, 'ProposalDropped')) throw new EtcdError(this.#leader === 0 ? 'NoLeader' : 'TooManyRequests', err.message);
      throw err;
    }
    this.#wakeUp();
  }

  proposeConfChange(cc: ConfChange): void {
    this.#check();
    try {
      this.#node.proposeConfChange(cc);
    } catch (err) {
      if (isRaftError(err, 'ProposalDropped')) throw new EtcdError(this.#leader === 0 ? 'NoLeader' : 'MemberNotEnoughStarted', err.message);
      throw err;
    }
    this.#wakeUp();
  }

  transferLeader(to: NodeId): void {
    this.#check();
    this.#node.transferLeader(to);
    this.#wakeUp();
  }

  reportUnreachable(id: NodeId): void {
    this.#node.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, status: 'finish' | 'failure'): void {
    this.#node.reportSnapshot(id, status);
    this.#wakeUp();
  }

  /** Resolves once a ReadIndex round confirmed leadership and the state machine applied up to it (a linearizable read may then read locally). */
  linearizableBarrier(timeoutMs: number): Promise<void> {
    this.#check();
    return this.#reads.read(timeoutMs);
  }

  /** Resolves when the applied index reaches `index`. */
  waitApplied(index: number): Promise<void> {
    if (this.#o.target.appliedIndex >= index) return Promise.resolve();
    return new Promise((resolve) => this.#appliedWaiters.push({ index, resolve }));
  }

  #check(): void {
    if (this.#stopped) throw new EtcdError('Stopped');
    if (this.#failed !== undefined) throw new EtcdError('Stopped', this.#failed instanceof Error ? this.#failed.message : 'the raft loop failed');
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#node.hasReady()) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      try {
        await this.#handle(this.#node.ready());
      } catch (err) {
        // Fail-stop: a persist or apply error leaves this member unable to continue safely.
        this.#failed = err;
        this.#o.logger.error({ err }, 'raft loop failed; this member stops serving');
        this.#reads.failAll(new EtcdError('Stopped'));
        return;
      }
    }
  }

  async #handle(rd: Ready): Promise<void> {
    if (rd.softState !== undefined || rd.hardState !== undefined) {
      const lead = rd.softState?.lead ?? this.#leader;
      const term = rd.hardState?.term ?? this.#term;
      if (lead !== this.#leader || term !== this.#term) {
        this.#leader = lead;
        this.#term = term;
        this.#o.onLeaderChange?.(lead, term);
      }
    }
    // 1. Persist. A received snapshot's data goes into the state machine first,
    // so a crash between the two leaves the state machine ahead, never behind.
    if (rd.snapshot !== undefined) {
      await this.#o.target.restore(rd.snapshot);
      this.#confState = rd.snapshot.meta.confState;
      this.#snapshotIndex = rd.snapshot.meta.index;
    }
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      const t0 = performance.now();
      const snapshot = rd.snapshot === undefined ? undefined : { meta: rd.snapshot.meta, data: EMPTY };
      await this.#o.storage.persist({ snapshot, entries: rd.entries, hardState: rd.hardState }, { sync: rd.mustSync && this.#o.fsync });
      this.#o.onPersist?.((performance.now() - t0) / 1000, rd.entries.length);
    }
    // 2. Send.
    this.#send(rd.messages);
    // 3. Apply, then serve reads.
    for (const e of rd.committedEntries) await this.#apply(e);
    this.#reads.onReadStates(rd.readStates);
    this.#notifyApplied();
    // 4. Advance.
    this.#node.advance(rd);
    await this.#maybeSnapshot();
  }

  #send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const plain: Message[] = [];
    for (const m of messages) {
      if (m.type === 'MsgSnap') this.#sendSnapshot(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.#o.peers.send(plain);
  }

  /**
   * The core names the snapshot Storage holds (metadata only); the follower gets
   * the state machine's current state instead, with that state's index, term
   * and configuration (etcd's merged snapshot). Taken between applies, so
   * index and configuration agree.
   */
  #sendSnapshot(m: Extract<Message, { type: 'MsgSnap' }>): void {
    const { index, data } = this.#o.target.exportState();
    const meta = { index, term: this.#node.raft.log.term(index), confState: this.#confState };
    data.then(
      (bytes) => this.#o.peers.send([{ ...m, snapshot: { meta, data: bytes } }]),
      (err: unknown) => {
        this.#o.logger.error({ err, to: m.to }, 'could not export a snapshot');
        this.reportSnapshot(m.to, 'failure');
      },
    );
  }

  async #apply(e: Entry): Promise<void> {
    const target = this.#o.target;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data, e.index);
      // The core rebuilds its configuration from every conf change after its snapshot, even ones the state machine holds.
      this.#confState = this.#node.applyConfChange(cc);
      if (e.index > target.appliedIndex) await target.applyConfChange(e, cc, this.#confState);
      return;
    }
    if (e.type !== EntryType.Normal) throw new Corruption(`raft entry ${e.index}`, 0, `unknown entry type ${String(e.type)}`);
    if (e.index > target.appliedIndex) await target.applyEntry(e);
  }

  #notifyApplied(): void {
    const applied = this.#o.target.appliedIndex;
    for (let i = this.#appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.#appliedWaiters[i];
      if (w !== undefined && w.index <= applied) {
        this.#appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Every snapshotCount applied entries: make the state durable, record a snapshot, compact the log behind it and purge old segments. */
  async #maybeSnapshot(): Promise<void> {
    const applied = this.#o.target.appliedIndex;
    if (applied - this.#snapshotIndex < this.#o.snapshotCount) return;
    if (applied > this.#node.raft.log.committed) return;
    await this.#o.target.sync();
    await this.#o.storage.createSnapshot(applied, this.#confState, EMPTY);
    this.#snapshotIndex = applied;
    const compactTo = applied - this.#o.snapshotCatchupEntries;
    if (compactTo > this.#o.storage.firstIndex()) await this.#o.storage.compact(compactTo);
    const purged = await this.#o.logStore.purge();
    this.#o.logger.info({ index: applied, compactTo, purged: purged.removed.length }, 'raft snapshot');
  }
}
