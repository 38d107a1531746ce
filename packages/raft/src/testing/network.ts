// An in-process cluster for tests: RawNodes over MemoryStorage, a driver
// that handles each Ready by the contract (persist, then send, then apply),
// and a network that delivers messages in order unless a link is cut. The
// simulation builds faults on top of it; the paper tests use it as is.

import { isEngineError } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { RawNode } from '../core/raw-node.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { bootstrap } from '../confchange/bootstrap.js';
import { decodeConfChange } from '../confchange/conf-change.js';
import { EntryType, type ConfState, type Entry, type Message, type NodeId, type ReadState } from '../types.js';
import type { RaftConfig } from '../core/config.js';

export interface TestNode {
  readonly id: NodeId;
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  /** Normal entries applied, in order. */
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

/** Applies a committed ConfChange entry as a driver does, returning the configuration now in force; a change every node refuses alike is skipped (undefined). */
export function applyConfChangeEntry(node: RawNode, e: Entry): ConfState | undefined {
  try {
    return node.applyConfChange(decodeConfChange(e.data, e.index));
  } catch (err) {
    if (!isEngineError(err, 'InvalidArgument')) throw err;
    return undefined;
  }
}

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  readonly #cut = new Set<string>();

  constructor(ids: readonly NodeId[], seed: number, extra: Partial<RaftConfig> = {}) {
    for (const id of ids) {
      const storage = new MemoryStorage();
      const boot = bootstrap(ids);
      storage.append(boot.entries);
      storage.setHardState(boot.hardState);
      const node = new RawNode({ id, storage, rng: new Rng(((seed * 31) ^ (id * 0x9e3779b1)) >>> 0), ...extra });
      this.nodes.set(id, { id, node, storage, applied: [], readStates: [] });
    }
    // Apply the bootstrap conf changes.
    this.drain();
  }

  /** Adds a node with empty storage (no configuration): it waits to hear from a leader whose configuration names it. */
  addNode(id: NodeId, seed: number, extra: Partial<RaftConfig> = {}): TestNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const storage = new MemoryStorage();
    const node = new RawNode({ id, storage, rng: new Rng(((seed * 31) ^ (id * 0x9e3779b1)) >>> 0), ...extra });
    const n = { id, node, storage, applied: [], readStates: [] };
    this.nodes.set(id, n);
    return n;
  }

  get(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Cuts (or heals) both directions between a and b. */
  cut(a: NodeId, b: NodeId, on = true): void {
    for (const k of [`${a}-${b}`, `${b}-${a}`]) {
      if (on) this.#cut.add(k);
      else this.#cut.delete(k);
    }
  }

  isolate(id: NodeId, on = true): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other, on);
  }

  /** Handles every node's Ready by the contract. */
  drain(): void {
    for (const n of this.nodes.values()) {
      while (n.node.hasReady()) {
        const rd = n.node.ready();
        if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
        n.storage.append(rd.entries);
        if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) if (!this.#cut.has(`${m.from}-${m.to}`)) this.queue.push(m);
        for (const e of rd.committedEntries) {
          if (e.type === EntryType.ConfChange) applyConfChangeEntry(n.node, e);
          else if (e.data.length > 0) n.applied.push(e);
        }
        n.readStates.push(...rd.readStates);
        n.node.advance(rd);
      }
    }
  }

  /** Delivers messages (and the ones they cause) until the network is quiet. */
  settle(limit = 100_000): void {
    this.drain();
    for (let i = 0; this.queue.length > 0; i++) {
      if (i >= limit) throw new Error('the network did not settle');
      const m = this.queue.shift() as Message;
      const to = this.nodes.get(m.to);
      if (to === undefined || this.#cut.has(`${m.from}-${m.to}`)) continue;
      to.node.step(m);
      this.drain();
    }
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.get(id).node.tick();
    this.drain();
  }

  /** Ticks every node n times, settling after each tick. */
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.node.tick();
      this.settle();
    }
  }

  campaign(id: NodeId): void {
    this.get(id).node.campaign();
    this.settle();
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.node.raft.role === 'leader').map((n) => n.id);
  }
}
