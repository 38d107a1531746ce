// A deterministic simulation of a Raft cluster in one process. A seeded
// scheduler picks one event at a time: tick, deliver a message (any queued
// one, so messages are delayed and reordered), drop or duplicate one, handle
// a node's Ready, propose, read, change membership, snapshot and compact,
// partition and heal, crash and restart. Drivers follow the Ready contract;
// a crash loses everything not persisted. The Checker runs after every
// event, and the same seed replays the same run, event for event.

import { isEngineError } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { LEAVE_JOINT, type ConfChange, type ConfChangeSingle } from '../../confchange/conf-change.js';
import { bootstrap } from '../../confchange/bootstrap.js';
import { RawNode } from '../../core/raw-node.js';
import { isRaftError } from '../../errors.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { EntryType, type Message, type NodeId } from '../../types.js';
import { Checker, nextDigest, Violation } from './checkers.js';
import { applyConfChangeEntry } from '../network.js';

export interface SimOptions {
  readonly seed: number;
  /** Events in the faulty phase. */
  readonly steps: number;
  /** Events allowed for the healed cluster to commit a last proposal (0: skip the liveness phase). */
  readonly settleSteps?: number;
}

export interface SimStats {
  readonly events: number;
  readonly committed: number;
  readonly leaders: number;
  readonly reads: number;
  readonly confChanges: number;
  readonly crashes: number;
  readonly snapshots: number;
  readonly members: number;
}

/** A run that broke a rule: the seed replays it; the trace is the last events before it. */
export class SimulationFailure extends Error {
  constructor(readonly seed: number, readonly violation: Violation | Error, readonly trace: readonly string[]) {
    super(`seed ${seed}: ${violation.message}\n(replay with this seed; last ${trace.length} events:)\n${trace.join('\n')}`);
  }
}

const MAX_MEMBERS = 7;
const TRACE_KEEP = 400;
const EMPTY = new Uint8Array(0);

type EventKind = 'tick-all' | 'tick-one' | 'deliver' | 'duplicate' | 'drop' | 'ready' | 'propose' | 'read' | 'conf-change' | 'transfer' | 'snapshot' | 'crash' | 'restart' | 'partition' | 'heal';

interface EventTable {
  readonly weights: readonly (readonly [EventKind, number])[];
  readonly total: number;
}

function table(weights: readonly (readonly [EventKind, number])[]): EventTable {
  return { weights, total: weights.reduce((a, [, w]) => a + w, 0) };
}

/** Calm weather: messages are reordered but none is lost, and no node fails. */
const CALM = table([['tick-all', 40], ['tick-one', 10], ['deliver', 700], ['ready', 300], ['propose', 40], ['read', 15], ['conf-change', 8], ['transfer', 3], ['snapshot', 5], ['restart', 15]]);
/** Storms add losses, duplicates, partitions and crashes. */
const STORM = table([['tick-all', 40], ['tick-one', 10], ['deliver', 680], ['duplicate', 10], ['drop', 20], ['ready', 300], ['propose', 40], ['read', 15], ['conf-change', 8], ['transfer', 3], ['snapshot', 5], ['crash', 4], ['restart', 10], ['partition', 4], ['heal', 4]]);

interface PendingRead {
  readonly required: number;
}

class SimNode {
  raw: RawNode | undefined;
  readonly storage = new MemoryStorage();
  /** The state machine: a digest of every applied entry, and its index. */
  digest = 0;
  appliedIndex = 0;
  /** The commit index up to which the checker has been told. */
  reported = 0;
  reads = new Map<string, PendingRead>();
  /** ReadStates waiting for the applied index to reach them. */
  readStates: { index: number; context: string }[] = [];

  constructor(readonly id: NodeId) {}
}

function snapshotDigest(data: Uint8Array): number {
  if (data.length === 0) return 0;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

function digestBytes(digest: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, digest);
  return b;
}

const text = new TextDecoder();

function describe(m: Message): string {
  switch (m.type) {
    case 'MsgApp':
      return `${m.from}->${m.to} MsgApp t${m.term} ${m.index}/${m.logTerm} c${m.commit} [${m.entries.map((e) => `${e.index}/${e.term}`).join(' ')}]`;
    case 'MsgAppResp':
      return `${m.from}->${m.to} MsgAppResp t${m.term} ${m.index}${m.reject ? ` reject hint ${m.rejectHint}/${m.logTerm}` : ''}`;
    case 'MsgSnap':
      return `${m.from}->${m.to} MsgSnap t${m.term} ${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
    case 'MsgHeartbeat':
      return `${m.from}->${m.to} MsgHeartbeat t${m.term} c${m.commit}${m.context.length > 0 ? ` ctx ${text.decode(m.context)}` : ''}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${m.from}->${m.to} ${m.type} t${m.term} ${m.index}/${m.logTerm}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${m.from}->${m.to} ${m.type} t${m.term}${m.reject ? ' reject' : ''}`;
    default:
      return `${m.from}->${m.to} ${m.type} t${m.term}`;
  }
}

export class Simulation {
  readonly rng: Rng;
  readonly checker = new Checker();
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages in flight, oldest first. */
  queue: Message[] = [];
  /** Links cut by a partition, as "from-to". */
  readonly cut = new Set<string>();
  readonly trace: string[] = [];
  #event = 0;
  #nextId: NodeId;
  #proposals = 0;
  #readSeq = 0;
  #storm = false;
  readonly stats = { reads: 0, confChanges: 0, crashes: 0, snapshots: 0 };

  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
    const n = this.rng.range(3, 8); // 3 to 7 initial voters; membership changes keep it at most 7
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    this.#nextId = n + 1;
    const boot = bootstrap(ids);
    for (const id of ids) {
      const node = new SimNode(id);
      node.storage.append(boot.entries);
      node.storage.setHardState(boot.hardState);
      this.nodes.set(id, node);
      this.#start(node);
    }
    this.#note(`start: voters ${ids.join(',')}`);
  }

  // ------------------------------------------------------------ node life

  #start(node: SimNode): void {
    node.raw = new RawNode({ id: node.id, storage: node.storage, rng: new Rng((this.seed ^ Math.imul(node.id, 0x9e3779b1)) >>> 0), electionTick: 5, heartbeatTick: 1, maxSizePerMsg: 1, maxInflightMsgs: 16 });
    // The state machine restarts from the snapshot; Raft hands out the committed entries after it again.
    const snap = node.storage.snapshot();
    node.digest = snapshotDigest(snap.data);
    node.appliedIndex = snap.meta.index;
    node.reads = new Map();
    node.readStates = [];
  }

  #crash(node: SimNode): void {
    node.raw = undefined;
    this.stats.crashes++;
    this.#note(`crash ${node.id}`);
  }

  /** Handles one Ready by the contract: persist, then send, then apply. */
  #handleReady(node: SimNode): void {
    const raw = node.raw;
    if (raw === undefined) return;
    const rd = raw.ready();
    const st = node.storage;
    if (rd.snapshot !== undefined) {
      st.applySnapshot(rd.snapshot);
      node.digest = snapshotDigest(rd.snapshot.data);
      node.appliedIndex = rd.snapshot.meta.index;
      this.checker.applied(node.id, node.appliedIndex, node.digest);
    }
    st.append(rd.entries);
    for (const e of rd.entries) {
      let prev: number | undefined;
      try {
        prev = st.term(e.index - 1);
      } catch {
        prev = undefined;
      }
      this.checker.persisted(node.id, e, prev);
    }
    if (rd.hardState !== undefined) st.setHardState(rd.hardState);
    for (const m of rd.messages) this.queue.push(m);
    for (const e of rd.committedEntries) {
      if (e.index !== node.appliedIndex + 1) throw new Violation('state machine safety', `node ${node.id} was handed entry ${e.index} to apply after ${node.appliedIndex} (handed ${rd.committedEntries.map((x) => x.index).join(',')})`);
      if (e.type === EntryType.ConfChange) applyConfChangeEntry(raw, e);
      node.digest = nextDigest(node.digest, e);
      node.appliedIndex = e.index;
      this.checker.applied(node.id, e.index, node.digest);
    }
    for (const rs of rd.readStates) node.readStates.push({ index: rs.index, context: text.decode(rs.context) });
    raw.advance(rd);
    const span = (es: readonly { index: number }[]): string => (es.length === 0 ? '-' : `${es[0]?.index}..${es[es.length - 1]?.index}`);
    this.#note(`ready ${node.id}: ${rd.snapshot !== undefined ? `install snapshot ${rd.snapshot.meta.index}, ` : ''}persist ${span(rd.entries)}${rd.hardState !== undefined ? ` hs t${rd.hardState.term} v${rd.hardState.vote} c${rd.hardState.commit}` : ''}, apply ${span(rd.committedEntries)}, send ${rd.messages.length}`);
    this.#serveReads(node);
  }

  #serveReads(node: SimNode): void {
    node.readStates = node.readStates.filter((rs) => {
      if (rs.index > node.appliedIndex) return true;
      const pending = node.reads.get(rs.context);
      if (pending !== undefined) {
        this.checker.read(node.id, rs.context, rs.index, pending.required);
        node.reads.delete(rs.context);
        this.stats.reads++;
      }
      return false;
    });
  }

  // ------------------------------------------------------------ checks

  #check(): void {
    for (const node of this.nodes.values()) {
      const raw = node.raw;
      if (raw === undefined) continue;
      const r = raw.raft;
      if (r.role === 'leader') this.checker.leader(node.id, r.term, r.log);
      const committed = r.log.committed;
      if (committed > node.reported) {
        const first = r.log.firstIndex();
        for (let i = Math.max(node.reported + 1, first); i <= committed; i++) this.checker.committed(node.id, i, r.log.term(i));
        this.checker.commitIndex(committed);
        node.reported = committed;
      } else if (committed < node.reported) node.reported = committed; // restarted from an older hard state
    }
  }

  // ------------------------------------------------------------ events

  #note(s: string): void {
    this.trace.push(`#${this.#event} ${s}`);
    if (this.trace.length > TRACE_KEEP * 2) this.trace.splice(0, this.trace.length - TRACE_KEEP);
  }

  #live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raw !== undefined);
  }

  #leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      const r = n.raw?.raft;
      if (r?.role === 'leader' && (best === undefined || r.term > (best.raw?.raft.term ?? 0))) best = n;
    }
    return best;
  }

  /** Mostly one of the oldest few messages (reordered a little), sometimes any (delayed a lot). */
  #pickMessage(): number {
    const n = this.queue.length;
    return this.rng.chance(0.8) ? this.rng.int(Math.min(n, 4)) : this.rng.int(n);
  }

  #deliver(i: number, keep: boolean): void {
    const m = this.queue[i] as Message;
    if (!keep) this.queue.splice(i, 1);
    const to = this.nodes.get(m.to);
    if (to?.raw === undefined || this.cut.has(`${m.from}-${m.to}`)) {
      this.#note(`lost ${describe(m)}`);
      this.#reportLost(m);
      return;
    }
    this.#note(`${keep ? 'dup ' : ''}deliver ${describe(m)}`);
    to.raw.step(m);
    // The transport tells the leader a snapshot got through (a real one streams it and reports when done).
    if (m.type === 'MsgSnap') this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, 'finish');
  }

  /** A snapshot's sender learns it failed (the transport's report); other losses go unnoticed. */
  #reportLost(m: Message): void {
    if (m.type === 'MsgSnap') this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, 'failure');
  }

  /** A client proposes at a random live node (a follower forwards it to its leader). */
  #propose(): void {
    const live = this.#live();
    if (live.length === 0) return;
    const node = this.rng.pick(live);
    const data = new TextEncoder().encode(`p${++this.#proposals}`);
    try {
      node.raw?.propose(data);
      this.#note(`propose p${this.#proposals} at ${node.id}`);
    } catch (err) {
      if (!isRaftError(err, 'ProposalDropped')) throw err;
      this.#note(`propose p${this.#proposals} at ${node.id}: dropped`);
    }
  }

  #read(): void {
    const live = this.#live();
    if (live.length === 0) return;
    const node = this.rng.pick(live);
    const context = `r${++this.#readSeq}`;
    try {
      node.raw?.readIndex(new TextEncoder().encode(context));
      node.reads.set(context, { required: this.checker.maxCommitted });
      this.#note(`read ${context} at ${node.id} (committed ${this.checker.maxCommitted})`);
    } catch (err) {
      if (!isRaftError(err, 'ProposalDropped')) throw err;
    }
  }

  /** Proposes a random membership change at the leader (the configuration may refuse it). */
  #changeMembership(): void {
    const leader = this.#leader();
    const raw = leader?.raw;
    if (leader === undefined || raw === undefined) return;
    const cs = raw.raft.trk.confState();
    const members = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
    const voters = cs.voters;
    // A new member's id; its node starts (empty) only if the change is proposed.
    const fresh = (): NodeId => this.#nextId;
    let cc: ConfChange;
    const roll = this.rng.int(6);
    if (cs.votersOutgoing.length > 0) cc = { transition: 'auto', changes: [], context: EMPTY };
    else if (roll === 0 && members.size < MAX_MEMBERS) cc = { transition: 'auto', changes: [{ kind: this.rng.chance(0.5) ? 'add-voter' : 'add-learner', node: fresh() }], context: EMPTY };
    else if (roll === 1 && cs.learners.length > 0) cc = { transition: 'auto', changes: [{ kind: 'add-voter', node: this.rng.pick(cs.learners) }], context: EMPTY };
    else if (roll === 2 && voters.length > 3) cc = { transition: 'auto', changes: [{ kind: this.rng.chance(0.7) ? 'remove' : 'add-learner', node: this.rng.pick(voters) }], context: EMPTY };
    else if (roll === 3 && cs.learners.length > 0) cc = { transition: 'auto', changes: [{ kind: 'remove', node: this.rng.pick(cs.learners) }], context: EMPTY };
    else if (roll >= 4 && members.size < MAX_MEMBERS) {
      // Replace a voter (perhaps the leader) through a joint configuration.
      const changes: ConfChangeSingle[] = [{ kind: 'add-voter', node: fresh() }, { kind: 'remove', node: this.rng.pick(voters) }];
      cc = { transition: this.rng.pick(['auto', 'implicit', 'explicit'] as const), changes, context: EMPTY };
    } else return;
    try {
      raw.proposeConfChange(cc);
      this.stats.confChanges++;
      if (cc.changes.some((c) => c.node === this.#nextId)) {
        const n = new SimNode(this.#nextId++);
        this.nodes.set(n.id, n);
        this.#start(n);
      }
      this.#note(`conf change at ${leader.id}: ${cc.transition} ${cc.changes.map((c) => `${c.kind} ${c.node}`).join(', ') || 'leave joint'}`);
    } catch (err) {
      if (!isRaftError(err, 'ProposalDropped') && !isEngineError(err, 'InvalidArgument')) throw err;
    }
  }

  /** The application snapshots its state at the applied index and compacts the log below it. */
  #snapshot(node: SimNode): void {
    const raw = node.raw;
    if (raw === undefined) return;
    const st = node.storage;
    const at = node.appliedIndex;
    if (at <= st.snapshot().meta.index || at > st.lastIndex()) return;
    st.createSnapshot(at, raw.raft.trk.confState(), digestBytes(node.digest));
    // Keep a few entries so a slightly lagging follower still catches up from the log.
    const keep = this.rng.int(4);
    if (at - keep > st.firstIndex()) st.compact(at - keep);
    this.stats.snapshots++;
    this.#note(`snapshot ${node.id} at ${at}, compact to ${st.firstIndex() - 1}`);
  }

  #partition(): void {
    const ids = [...this.nodes.keys()];
    const leader = this.#leader();
    let side: Set<NodeId>;
    if (leader !== undefined && this.rng.chance(0.5)) {
      // Often the leader is cut off with one follower, which keeps acknowledging it while the rest move on.
      side = new Set([leader.id, this.rng.pick(ids.filter((id) => id !== leader.id))]);
    } else side = new Set(ids.filter(() => this.rng.chance(0.4)));
    for (const a of side) for (const b of ids) if (!side.has(b)) {
      this.cut.add(`${a}-${b}`);
      this.cut.add(`${b}-${a}`);
    }
    this.#note(`partition {${[...side].join(',')}} from the rest`);
  }

  /** One event of the faulty phase. */
  step(): void {
    this.#event++;
    const live = this.#live();
    // Weather: calm spells (no losses, partitions or crashes) let leaders
    // be elected and commit; storms break things. Each lasts ~250 events.
    if (this.rng.chance(1 / 250)) {
      this.#storm = !this.#storm;
      if (!this.#storm) this.cut.clear();
      this.#note(this.#storm ? 'storm begins' : 'calm begins (healed)');
    }
    const events = this.#storm ? STORM : CALM;
    let roll = this.rng.int(events.total);
    let kind: EventKind = 'deliver';
    for (const [k, w] of events.weights) {
      if (roll < w) {
        kind = k;
        break;
      }
      roll -= w;
    }
    // Time passes slowly next to the network: while many messages are in
    // flight, the clock waits and the network works.
    if ((kind === 'tick-all' || kind === 'tick-one') && this.queue.length > 4 * live.length) kind = 'deliver';
    this.#run(kind, live);
    this.#check();
  }

  #run(kind: EventKind, live: SimNode[]): void {
    const pickLive = (): SimNode | undefined => (live.length > 0 ? this.rng.pick(live) : undefined);
    switch (kind) {
      case 'tick-all':
        for (const n of live) n.raw?.tick();
        this.#note('tick all');
        return;
      case 'tick-one': {
        // One node's clock runs ahead.
        const n = pickLive();
        n?.raw?.tick();
        if (n !== undefined) this.#note(`tick ${n.id}`);
        return;
      }
      case 'deliver':
      case 'duplicate':
        if (this.queue.length > 0) this.#deliver(this.#pickMessage(), kind === 'duplicate');
        return;
      case 'drop': {
        if (this.queue.length === 0) return;
        const i = this.#pickMessage();
        const m = this.queue[i] as Message;
        this.queue.splice(i, 1);
        this.#note(`drop ${describe(m)}`);
        this.#reportLost(m);
        return;
      }
      case 'ready': {
        const ready = live.filter((n) => n.raw?.hasReady() === true);
        if (ready.length > 0) this.#handleReady(this.rng.pick(ready));
        return;
      }
      case 'propose':
        this.#propose();
        return;
      case 'read':
        this.#read();
        return;
      case 'conf-change':
        this.#changeMembership();
        return;
      case 'transfer':
        this.#transfer();
        return;
      case 'snapshot': {
        const n = pickLive();
        if (n !== undefined) this.#snapshot(n);
        return;
      }
      case 'crash': {
        // Leaders crash more often than the rest: that is where the hard cases are.
        const leader = this.#leader();
        const n = leader !== undefined && this.rng.chance(0.5) ? leader : pickLive();
        if (n !== undefined) this.#crash(n);
        return;
      }
      case 'restart': {
        const down = [...this.nodes.values()].filter((n) => n.raw === undefined);
        if (down.length === 0) return;
        const n = this.rng.pick(down);
        this.#start(n);
        this.#note(`restart ${n.id}`);
        return;
      }
      case 'partition':
        this.#partition();
        return;
      case 'heal':
        this.cut.clear();
        this.#note('heal');
        return;
    }
  }

  /** The leader hands leadership to a random voter. */
  #transfer(): void {
    const leader = this.#leader();
    const raw = leader?.raw;
    if (leader === undefined || raw === undefined) return;
    const voters = raw.raft.trk.confState().voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    raw.transferLeader(to);
    this.#note(`transfer leadership ${leader.id} -> ${to}`);
  }

  /** Heals everything, then runs a fault-free cluster until a new proposal is applied by a leader, or fails liveness. */
  settle(maxEvents: number): void {
    this.cut.clear();
    for (const n of this.nodes.values()) if (n.raw === undefined) this.#start(n);
    this.#note('heal all, restart all');
    let proposedAt = -1;
    let proposedIn = '';
    for (let i = 0; i < maxEvents; i++) {
      this.#event++;
      for (const n of this.nodes.values()) while (n.raw?.hasReady() === true) this.#handleReady(n);
      for (let d = 0; this.queue.length > 0; d++) {
        if (d > 100_000) throw new Violation('liveness', 'messages keep causing messages: the network never goes quiet');
        this.#deliver(0, false);
        for (const n of this.nodes.values()) while (n.raw?.hasReady() === true) this.#handleReady(n);
      }
      this.#check();
      const leader = this.#leader();
      // A joint configuration entered explicitly is left by the application.
      if (leader?.raw?.raft.trk.isJoint() === true && !leader.raw.raft.trk.config.autoLeave) {
        try {
          leader.raw.proposeConfChange(LEAVE_JOINT);
          this.#note(`settle: leave joint at ${leader.id}`);
        } catch (err) {
          if (!isRaftError(err, 'ProposalDropped')) throw err;
        }
      }
      // A proposal made under an earlier leader may have been lost with its term: propose again.
      const leaderTerm = leader?.raw === undefined ? '' : `${leader.id}/${leader.raw.raft.term}`;
      if (leaderTerm !== proposedIn) proposedAt = -1;
      if (leader !== undefined && proposedAt < 0 && leader.raw?.raft.trk.isJoint() !== true) {
        const target = `p${++this.#proposals}`;
        try {
          leader.raw?.propose(new TextEncoder().encode(target));
          proposedAt = leader.raw?.raft.log.lastIndex() ?? -1;
          proposedIn = leaderTerm;
          this.#note(`settle: propose ${target} at ${leader.id} (index ${proposedAt})`);
        } catch (err) {
          if (!isRaftError(err, 'ProposalDropped')) throw err;
          this.#note(`settle: propose ${target} at ${leader.id}: dropped (${(err as Error).message})`);
        }
      }
      if (proposedAt > 0 && this.checker.maxCommitted >= proposedAt) return;
      for (const n of this.nodes.values()) n.raw?.tick();
      // Applications snapshot now and then; a member added after the last
      // snapshot refuses it (it is not in its configuration) until a newer one exists.
      if (i % 20 === 19) for (const n of this.nodes.values()) this.#snapshot(n);
    }
    throw new Violation('liveness', `the healed cluster did not commit a proposal within ${maxEvents} rounds (leader: ${this.#leader()?.id ?? 'none'})`);
  }

  summary(): SimStats {
    return { events: this.#event, ...this.stats, committed: this.checker.maxCommitted, leaders: this.checker.leaderTerms, members: this.nodes.size };
  }
}

/** Runs one seed; throws SimulationFailure (with the seed and the trace) if a rule breaks. */
export function simulate(opts: SimOptions): SimStats {
  const sim = new Simulation(opts.seed);
  try {
    for (let i = 0; i < opts.steps; i++) sim.step();
    if ((opts.settleSteps ?? 0) > 0) sim.settle(opts.settleSteps ?? 0);
  } catch (err) {
    if (err instanceof Error) throw new SimulationFailure(opts.seed, err, sim.trace.slice(-TRACE_KEEP));
    throw err;
  }
  return sim.summary();
}
