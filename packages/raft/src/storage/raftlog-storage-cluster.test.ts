// End to end: three RawNodes, each over a RaftLogStorage on its own
// MemFileSystem, driven by a small async driver that follows the Ready
// contract (persist one Ready in one write, synced when mustSync; then send;
// then apply). A cluster elects a leader and commits; a node whose disk
// loses power comes back with its log and hard state and catches up; a
// follower behind the leader's compaction point installs a snapshot.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftLogStore } from '@strata/raftlog';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { bootstrap } from '../confchange/bootstrap.js';
import { RawNode } from '../core/raw-node.js';
import { applyConfChangeEntry } from '../testing/network.js';
import { EMPTY_CONF_STATE, EntryType, type ConfState, type Message, type NodeId } from '../types.js';
import { RaftLogStorage } from './raftlog-storage.js';

const DIR = '/node';
const GROUP = 11;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Node {
  readonly id: NodeId;
  fs: MemFileSystem;
  store: RaftLogStore;
  storage: RaftLogStorage;
  /** Undefined while crashed. */
  raw: RawNode | undefined;
  /** The state machine: the Normal entries applied, in order (or restored from a snapshot). */
  applied: string[];
  appliedIndex: number;
  confState: ConfState;
}

/** An in-process cluster whose drivers await their storage. Messages are delivered in order; a crashed node's are dropped. */
class AsyncCluster {
  readonly nodes = new Map<NodeId, Node>();
  queue: Message[] = [];
  readonly #seed: number;
  #isolated = new Set<NodeId>();

  private constructor(seed: number) {
    this.#seed = seed;
  }

  static async start(ids: readonly NodeId[], seed: number): Promise<AsyncCluster> {
    const c = new AsyncCluster(seed);
    const boot = bootstrap(ids);
    for (const id of ids) {
      const fs = new MemFileSystem();
      const store = await RaftLogStore.open(DIR, { fs, targetSegmentSize: 8192 });
      const storage = await RaftLogStorage.open(store, GROUP);
      await storage.persist({ entries: boot.entries, hardState: boot.hardState }, { sync: true });
      const n: Node = { id, fs, store, storage, raw: undefined, applied: [], appliedIndex: 0, confState: EMPTY_CONF_STATE };
      c.nodes.set(id, n);
      c.#boot(n);
    }
    await c.settle();
    return c;
  }

  get(id: NodeId): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Starts the node's RawNode over its storage; the state machine restarts from the snapshot. */
  #boot(n: Node): void {
    n.raw = new RawNode({ id: n.id, storage: n.storage, rng: new Rng((this.#seed ^ Math.imul(n.id, 0x9e3779b1)) >>> 0), electionTick: 10, heartbeatTick: 1 });
    const snap = n.storage.snapshot();
    n.applied = snap.meta.index === 0 ? [] : (JSON.parse(dec(snap.data)) as string[]);
    n.appliedIndex = snap.meta.index;
    n.confState = snap.meta.confState;
  }

  /** Handles the node's Readies by the contract. */
  async handle(n: Node): Promise<void> {
    for (;;) {
      const raw = n.raw;
      if (raw === undefined || !raw.hasReady()) return;
      const rd = raw.ready();
      await n.storage.persist(rd, { sync: rd.mustSync });
      if (rd.snapshot !== undefined) {
        n.applied = JSON.parse(dec(rd.snapshot.data)) as string[];
        n.appliedIndex = rd.snapshot.meta.index;
        n.confState = rd.snapshot.meta.confState;
      }
      for (const m of rd.messages) if (!this.#isolated.has(m.from) && !this.#isolated.has(m.to)) this.queue.push(m);
      for (const e of rd.committedEntries) {
        assert.equal(e.index, n.appliedIndex + 1, `node ${n.id} applies in order`);
        if (e.type === EntryType.ConfChange) n.confState = applyConfChangeEntry(raw, e) ?? n.confState;
        else if (e.data.length > 0) n.applied.push(dec(e.data));
        n.appliedIndex = e.index;
      }
      raw.advance(rd);
    }
  }

  /** Delivers messages (and what they cause) until the network is quiet. */
  async settle(): Promise<void> {
    for (const n of this.nodes.values()) await this.handle(n);
    for (let i = 0; this.queue.length > 0; i++) {
      if (i > 100_000) throw new Error('the network did not settle');
      const m = this.queue.shift() as Message;
      const to = this.nodes.get(m.to);
      if (to?.raw === undefined || this.#isolated.has(m.to)) continue;
      to.raw.step(m);
      await this.handle(to);
    }
  }

  async tickAll(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes.values()) n.raw?.tick();
      await this.settle();
    }
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.raw?.raft.role === 'leader').map((n) => n.id);
  }

  async electLeader(): Promise<Node> {
    for (let i = 0; i < 100 && this.leaders().length !== 1; i++) await this.tickAll(1);
    const [id] = this.leaders();
    assert.ok(id !== undefined, 'a leader was elected');
    return this.get(id);
  }

  async propose(values: readonly string[]): Promise<void> {
    const leader = await this.electLeader();
    for (const v of values) (leader.raw as RawNode).propose(enc(v));
    await this.settle();
  }

  isolate(id: NodeId, on = true): void {
    if (on) this.#isolated.add(id);
    else this.#isolated.delete(id);
  }

  /** The node's machine loses power: what its disk kept is reopened (the RawNode starts later, in restart()). */
  async powerLoss(id: NodeId, seed: number): Promise<void> {
    const n = this.get(id);
    n.raw = undefined;
    n.fs = n.fs.crashClone({ seed, kind: 'power' });
    n.store = await RaftLogStore.open(DIR, { fs: n.fs, targetSegmentSize: 8192 });
    n.storage = await RaftLogStorage.open(n.store, GROUP);
  }

  async restart(id: NodeId): Promise<void> {
    this.#boot(this.get(id));
    await this.settle();
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) await n.store.close();
  }
}

function logOf(s: RaftLogStorage): string[] {
  return s.entries(s.firstIndex(), s.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((e) => `${e.index}/${e.term}/${e.type}/${dec(e.data)}`);
}

describe('a Raft cluster over RaftLogStorage', () => {
  const seed = testSeed('raft cluster over RaftLogStorage');

  it('elects a leader, commits proposals, and a node that lost power comes back with its log and hard state and catches up', async () => {
    const c = await AsyncCluster.start([1, 2, 3], seed);
    try {
      const leader = await c.electLeader();
      const values = ['a', 'b', 'c', 'd', 'e'];
      await c.propose(values);
      for (const n of c.nodes.values()) assert.deepEqual(n.applied, values, `node ${n.id} applied every proposal`);
      assert.equal(leader.storage.hardState.commit, (leader.raw as RawNode).raft.log.committed, 'the leader persisted its commit index');

      const victim = c.get(leader.id === 1 ? 2 : 1);
      const log = logOf(victim.storage);
      const hs = victim.storage.hardState;
      for (const v of values) assert.ok(log.some((e) => e.endsWith(`/${EntryType.Normal}/${v}`)), `the log holds ${v}`);
      await c.powerLoss(victim.id, seed);
      // Entries and term/vote are synced before any message goes out; a commit-only change may be lost.
      assert.deepEqual(logOf(victim.storage), log, 'the log came back');
      const back = victim.storage.hardState;
      assert.deepEqual([back.term, back.vote], [hs.term, hs.vote], 'term and vote came back');
      assert.ok(back.commit <= hs.commit);
      assert.deepEqual(victim.storage.initialState().hardState, back);
      assert.equal(victim.storage.entries(1, 4, Infinity).filter((e) => e.type === EntryType.ConfChange).length, 3, 'the bootstrap conf changes kept their type');

      await c.restart(victim.id);
      await c.propose(['f', 'g']);
      await c.tickAll(2);
      for (const n of c.nodes.values()) assert.deepEqual(n.applied, [...values, 'f', 'g'], `node ${n.id} applied everything, in order`);
      assert.deepEqual(victim.confState.voters.slice().sort(), [1, 2, 3], 'the restarted node rebuilt its configuration from the log');
    } finally {
      await c.close();
    }
  });

  it('a leader that lost power is replaced, and rejoins as a follower with its log', async () => {
    const c = await AsyncCluster.start([1, 2, 3], seed);
    try {
      const old = await c.electLeader();
      await c.propose(['x1', 'x2']);
      const log = logOf(old.storage);
      await c.powerLoss(old.id, (seed ^ 0x5bd1e995) >>> 0);
      assert.deepEqual(logOf(old.storage), log);
      const next = await c.electLeader();
      assert.notEqual(next.id, old.id);
      await c.propose(['x3']);
      await c.restart(old.id);
      await c.tickAll(3);
      assert.deepEqual(c.leaders(), [next.id]);
      for (const n of c.nodes.values()) assert.deepEqual(n.applied, ['x1', 'x2', 'x3'], `node ${n.id}`);
      assert.ok(old.storage.hardState.term >= (next.raw as RawNode).raft.term, 'the old leader persisted the new term');
    } finally {
      await c.close();
    }
  });

  it('a follower behind the leader\'s compaction point installs a snapshot from it, durably', async () => {
    const c = await AsyncCluster.start([1, 2, 3], seed);
    try {
      const leader = await c.electLeader();
      const lagging = c.get(leader.id === 3 ? 2 : 3);
      c.isolate(lagging.id);
      const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
      await c.propose(values);
      const at = leader.appliedIndex;
      await leader.storage.createSnapshot(at, leader.confState, enc(JSON.stringify(leader.applied)), { sync: true });
      await leader.storage.compact(at, { sync: true });
      assert.equal(leader.storage.firstIndex(), at + 1);
      c.isolate(lagging.id, false);
      await c.tickAll(3);
      assert.equal(lagging.storage.snapshotMeta.index, at, 'the follower installed the snapshot');
      assert.deepEqual(lagging.applied, values);
      await c.propose(['after']);
      await c.powerLoss(lagging.id, seed);
      assert.equal(lagging.storage.snapshotMeta.index, at, 'the installed snapshot survived');
      assert.deepEqual(lagging.storage.snapshotMeta.confState.voters.slice().sort(), [1, 2, 3]);
      await c.restart(lagging.id);
      await c.tickAll(2);
      assert.deepEqual(lagging.applied, [...values, 'after'], 'restarted from the snapshot, then the log after it');
    } finally {
      await c.close();
    }
  });
});
