// The world a scenario script drives: RawNodes over MemoryStorage, each
// with a toy state machine (the data of its applied entries), and one
// outbox of sent, undelivered messages. Nothing happens by itself: the
// script ticks, handles Readys and delivers messages one command at a time.
// Every method returns the lines it prints; iteration is in node-id order
// and messages stay in send order, so a script's output is reproducible.

import { isEngineError } from '@strata/engine';
import { bootstrap } from '../../confchange/bootstrap.js';
import { decodeConfChange } from '../../confchange/conf-change.js';
import type { RaftConfig, RandomSource, ReadOnlyOption } from '../../core/config.js';
import { RawNode } from '../../core/raw-node.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { EntryType, type Message, type NodeId } from '../../types.js';
import { formatConfState, formatEntry, formatHardState, formatMessage, formatProgress, formatReady, formatSnapshot, indent } from './format.js';

/** Always 0: every randomized election timeout is exactly electionTick, so scripts replay. */
const ZERO_RANDOM: RandomSource = { int: () => 0 };

/** The options a script sets per node; the rest of RaftConfig keeps its default. */
export interface NodeOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  readonly electionTick: number;
  readonly heartbeatTick: number;
}

/** Scripts default to a short election timeout (as etcd's interaction tests do) so tick output stays small. */
export const DEFAULT_NODE_OPTIONS: NodeOptions = { preVote: true, checkQuorum: true, readOnlyOption: 'safe', electionTick: 3, heartbeatTick: 1 };

export interface EnvNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly storage: MemoryStorage;
  readonly options: NodeOptions;
  /** The state machine: the data of every applied non-empty normal entry; a snapshot holds it space-joined. */
  state: string[];
}

/** A sent message and the node that sent it (a forwarded request's `from` may name another). */
interface Envelope {
  readonly sender: NodeId;
  readonly msg: Message;
  /** The link was cut when it was sent: it is lost even if the partition heals before delivery. */
  readonly cutWhenSent: boolean;
}

const text = new TextDecoder();
const STABILIZE_LIMIT = 1000;

function stateOf(data: Uint8Array): string[] {
  const s = text.decode(data);
  return s === '' ? [] : s.split(' ');
}

export class InteractionEnv {
  readonly nodes = new Map<NodeId, EnvNode>();
  /** Sent and not yet delivered or dropped, in send order. */
  outbox: Envelope[] = [];
  /** Directed links `a-b` a partition cuts. A message is lost if its link is cut when it is sent or when it is delivered. */
  readonly #cut = new Set<string>();

  node(id: NodeId): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  #config(id: NodeId, storage: MemoryStorage, o: NodeOptions): RaftConfig {
    return { id, storage, rng: ZERO_RANDOM, ...o };
  }

  /**
   * Adds `count` nodes with the next ids. With voters, each starts from the
   * bootstrap log of that membership (applied at once); without, from empty
   * storage, waiting for a leader whose configuration names it.
   */
  addNodes(count: number, voters: readonly NodeId[] | undefined, o: NodeOptions): string[] {
    const out = [`options: prevote=${String(o.preVote)} checkquorum=${String(o.checkQuorum)} read-only=${o.readOnlyOption} election-tick=${o.electionTick} heartbeat-tick=${o.heartbeatTick}`];
    const first = (this.ids().at(-1) ?? 0) + 1;
    for (let id = first; id < first + count; id++) {
      const storage = new MemoryStorage();
      if (voters !== undefined) {
        const boot = bootstrap(voters);
        storage.append(boot.entries);
        storage.setHardState(boot.hardState);
      }
      const n: EnvNode = { id, raw: new RawNode(this.#config(id, storage, o)), storage, options: o, state: [] };
      this.nodes.set(id, n);
      if (voters === undefined) {
        out.push(`${id}: empty storage, no configuration`);
        continue;
      }
      // The bootstrap entries are committed: apply them, as any driver's first Ready would.
      while (n.raw.hasReady()) this.#handleReady(n);
      out.push(`${id}: bootstrapped ${formatHardState(storage.hardState)} ConfState:${formatConfState(n.raw.raft.trk.confState())}`);
    }
    return out;
  }

  /** Handles one Ready by the contract and returns what it printed; `<empty Ready>` if there was none. */
  processReady(id: NodeId): string[] {
    const n = this.node(id);
    if (!n.raw.hasReady()) return ['<empty Ready>'];
    return this.#handleReady(n);
  }

  #handleReady(n: EnvNode): string[] {
    const rd = n.raw.ready();
    const out = formatReady(n.id, rd);
    // 1. Persist: snapshot, entries, hard state.
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.state = stateOf(rd.snapshot.data);
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    // 2. Send.
    for (const msg of rd.messages) this.outbox.push({ sender: n.id, msg, cutWhenSent: this.#isCut(n.id, msg.to) });
    // 3. Apply.
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) out.push(this.#applyConfChange(n, e.index, e.term, e.data));
      else if (e.data.length > 0) n.state.push(text.decode(e.data));
    }
    // 4. Advance (a leader may propose leaving an auto-leave joint config here).
    n.raw.advance(rd);
    return out;
  }

  #applyConfChange(n: EnvNode, index: number, term: number, data: Uint8Array): string {
    try {
      const cs = n.raw.applyConfChange(decodeConfChange(data, index));
      return `ConfChange ${term}/${index} applied: ${formatConfState(cs)}`;
    } catch (err) {
      // Every node refuses an invalid change alike; the driver skips it.
      if (!isEngineError(err, 'InvalidArgument')) throw err;
      return `ConfChange ${term}/${index} refused: ${err.message}`;
    }
  }

  #isCut(from: NodeId, to: NodeId): boolean {
    return this.#cut.has(`${from}-${to}`);
  }

  /**
   * Delivers the queued messages addressed to `id` (only those of `type` if
   * given), in send order; those a partition cuts (now or when sent) are
   * dropped. Messages a step produces wait for the node's next Ready. Like a
   * real transport, the sender of a MsgSnap is told whether it got through.
   */
  deliver(id: NodeId, type?: string): string[] {
    const n = this.node(id);
    const out: string[] = [];
    for (const env of this.#take(id, type)) {
      if (env.cutWhenSent || this.#isCut(env.sender, id)) {
        out.push(`dropped (partition): ${formatMessage(env.sender, env.msg)}`, ...this.#reportLost(env));
        continue;
      }
      out.push(formatMessage(env.sender, env.msg));
      n.raw.step(env.msg);
      if (env.msg.type === 'MsgSnap') out.push(...this.#reportSnapshot(env, 'finish'));
    }
    return out;
  }

  /** Drops the queued messages addressed to `id` (only those of `type` if given). */
  drop(id: NodeId, type?: string): string[] {
    return this.#take(id, type).flatMap((env) => [`dropped: ${formatMessage(env.sender, env.msg)}`, ...this.#reportLost(env)]);
  }

  #reportLost(env: Envelope): string[] {
    return env.msg.type === 'MsgSnap' ? this.#reportSnapshot(env, 'failure') : [];
  }

  #reportSnapshot(env: Envelope, status: 'finish' | 'failure'): string[] {
    this.node(env.sender).raw.reportSnapshot(env.msg.to, status);
    return [`${env.sender} told: snapshot to ${env.msg.to} ${status === 'finish' ? 'sent' : 'failed'}`];
  }

  #take(id: NodeId, type: string | undefined): Envelope[] {
    const taken: Envelope[] = [];
    const kept: Envelope[] = [];
    for (const env of this.outbox) {
      if (env.msg.to === id && (type === undefined || env.msg.type === type)) taken.push(env);
      else kept.push(env);
    }
    this.outbox = kept;
    return taken;
  }

  hasMessagesFor(id: NodeId): boolean {
    return this.outbox.some((e) => e.msg.to === id);
  }

  /** Handles Readys and delivers messages among `ids` until none has either. */
  stabilize(ids: readonly NodeId[]): string[] {
    const out: string[] = [];
    for (let round = 0; ; round++) {
      if (round >= STABILIZE_LIMIT) throw new Error(`no quiet state after ${STABILIZE_LIMIT} rounds`);
      let busy = false;
      for (const id of ids) {
        if (!this.node(id).raw.hasReady()) continue;
        busy = true;
        out.push(`> ${id} handling Ready`, ...indent(this.processReady(id)));
      }
      for (const id of ids) {
        if (!this.hasMessagesFor(id)) continue;
        busy = true;
        out.push(`> ${id} receiving messages`, ...indent(this.deliver(id)));
      }
      if (!busy) return out;
    }
  }

  /** Cuts every link between nodes of different groups (replacing earlier cuts); nodes in no group keep their links. */
  partition(groups: readonly (readonly NodeId[])[]): string[] {
    this.#cut.clear();
    const pairs: string[] = [];
    groups.forEach((g, i) => {
      for (const h of groups.slice(i + 1)) {
        for (const a of g) {
          for (const b of h) {
            this.#cut.add(`${a}-${b}`);
            this.#cut.add(`${b}-${a}`);
            pairs.push(`${Math.min(a, b)}<->${Math.max(a, b)}`);
          }
        }
      }
    });
    return [`cut ${pairs.sort().join(' ')}`];
  }

  heal(): string[] {
    this.#cut.clear();
    return [];
  }

  tick(id: NodeId, times: number): void {
    const raw = this.node(id).raw;
    for (let i = 0; i < times; i++) raw.tick();
  }

  /**
   * The application snapshots its state at the applied index (with the
   * configuration in force there, which is the current one: conf changes
   * take effect as they are applied).
   */
  snapshot(id: NodeId): string[] {
    const n = this.node(id);
    const applied = n.raw.raft.log.applied;
    const snap = n.storage.createSnapshot(applied, n.raw.raft.trk.confState(), new TextEncoder().encode(n.state.join(' ')));
    return [`Snapshot ${formatSnapshot(snap)}`];
  }

  /** Drops the stored entries up to `index`, which a snapshot must cover. */
  compact(id: NodeId, index: number): string[] {
    const n = this.node(id);
    const snapAt = n.storage.snapshot().meta.index;
    if (index > snapAt) throw new Error(`compacting to ${index} would drop entries no snapshot covers (snapshot at ${snapAt})`);
    n.storage.compact(index);
    return [`log: first index=${n.storage.firstIndex()}, last index=${n.storage.lastIndex()}`];
  }

  /**
   * Crashes the node and starts it again from its storage: what was not
   * persisted (the unstable tail, a newer hard state, unsent messages) is
   * lost, as are the messages on their way to it; the state machine restarts
   * from the snapshot and Raft hands the committed entries after it again.
   */
  restart(id: NodeId): string[] {
    const n = this.node(id);
    const r = n.raw.raft;
    const out: string[] = [];
    const lost = r.log.unstable.entries;
    if (lost.length > 0) out.push(`lost unpersisted entries: ${lost.map(formatEntry).join(', ')}`);
    const hs = r.hardState;
    const stored = n.storage.hardState;
    if (hs.term !== stored.term || hs.vote !== stored.vote || hs.commit !== stored.commit) out.push(`lost unpersisted ${formatHardState(hs)}`);
    for (const m of r.msgs) out.push(`lost unsent: ${formatMessage(id, m)}`);
    for (const line of this.drop(id)) out.push(line.replace(/^dropped: /, 'lost in flight: '));
    n.raw = new RawNode(this.#config(id, n.storage, n.options));
    n.state = stateOf(n.storage.snapshot().data);
    out.push(`restarted from ${formatHardState(n.storage.hardState)}, log [${n.storage.firstIndex()}, ${n.storage.lastIndex()}], applied ${n.raw.raft.log.applied}`);
    return out;
  }

  status(id: NodeId): string[] {
    const n = this.node(id);
    const r = n.raw.raft;
    const log = r.log;
    const out = [
      `${id}: ${r.role} Term:${r.term} Vote:${r.vote} Lead:${r.lead} Commit:${log.committed} Applied:${log.applied} First:${log.firstIndex()} Last:${log.lastTerm()}/${log.lastIndex()}`,
      `ConfState: ${formatConfState(r.trk.confState())}`,
    ];
    if (r.role === 'leader') {
      out.push('Progress:');
      const progress = [...r.trk.progress].sort(([a], [b]) => a - b);
      for (const [pid, pr] of progress) out.push(`  ${formatProgress(pid, pr)}`);
      if (r.leadTransferee !== 0) out.push(`Transferring leadership to ${r.leadTransferee}`);
    }
    out.push(`App: [${n.state.join(' ')}]`);
    return out;
  }

  /** What the node's storage holds (the durable log; the unstable tail is not shown). */
  raftLog(id: NodeId): string[] {
    const st = this.node(id).storage;
    const out: string[] = [];
    const snap = st.snapshot();
    if (snap.meta.index > 0) out.push(`Snapshot ${formatSnapshot(snap)}`);
    const first = st.firstIndex();
    const last = st.lastIndex();
    if (last < first) out.push(`log is empty: first index=${first}, last index=${last}`);
    else out.push(...st.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map(formatEntry));
    return out;
  }
}
