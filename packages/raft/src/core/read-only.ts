// ReadIndex requests a leader holds until a heartbeat round confirms it is
// still the leader (Raft thesis §6.4). Each request records the commit index
// when it arrived; once a quorum acknowledges the heartbeat carrying its
// context, it and every request queued before it can be answered with their
// index. Contexts are compared by content.

import type { NodeId } from '../types.js';

export interface ReadRequest {
  readonly index: number;
  readonly context: Uint8Array;
  /** The node that asked (the leader itself for a local read). */
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

function keyOf(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.length).toString('latin1');
}

export class ReadOnly {
  #pending = new Map<string, ReadRequest>();
  #queue: string[] = [];

  /** Queues a request unless one with the same context is already queued. */
  add(index: number, context: Uint8Array, from: NodeId): void {
    const k = keyOf(context);
    if (this.#pending.has(k)) return;
    this.#pending.set(k, { index, context, from, acks: new Set() });
    this.#queue.push(k);
  }

  /** Records id's acknowledgement of the heartbeat carrying `context`; returns who acknowledged it so far. */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const r = this.#pending.get(keyOf(context));
    if (r === undefined) return undefined;
    r.acks.add(id);
    return r.acks;
  }

  /** Removes and returns the request with `context` and every one queued before it. */
  advance(context: Uint8Array): ReadRequest[] {
    const k = keyOf(context);
    const at = this.#queue.indexOf(k);
    if (at < 0) return [];
    const done = this.#queue.splice(0, at + 1);
    const out: ReadRequest[] = [];
    for (const d of done) {
      const r = this.#pending.get(d);
      this.#pending.delete(d);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** The context of the newest queued request (sent with heartbeats). */
  lastContext(): Uint8Array | undefined {
    const k = this.#queue[this.#queue.length - 1];
    return k === undefined ? undefined : this.#pending.get(k)?.context;
  }

  get size(): number {
    return this.#queue.length;
  }

  reset(): void {
    this.#pending = new Map();
    this.#queue = [];
  }
}
