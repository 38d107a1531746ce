// Linearizable reads through Raft's ReadIndex, batched as etcd does: every
// read that arrives while a round is out joins the next round, so one
// heartbeat quorum confirms many reads. A round's context is a counter; a
// round whose answer never comes (a lost message, a leader change) is asked
// again after a few ticks. A read resolves once the applied index reaches
// the round's index.

import type { ReadState } from '@strata/raft';
import { EtcdError } from '../errors.js';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface ReadIndexHooks {
  /** Starts a ReadIndex round with this context (may throw: no leader). */
  request(context: Uint8Array): void;
  wake(): void;
  waitApplied(index: number): Promise<void>;
}

/** Ticks a round may stay unanswered before it is asked again. */
const RETRY_TICKS = 5;

export class ReadIndexBatcher {
  readonly #hooks: ReadIndexHooks;
  #next = 1;
  /** The round in flight: its context number, its waiters, and ticks since it was asked. */
  #inflight: { ctx: number; waiters: Set<Waiter>; age: number } | undefined;
  #queued = new Set<Waiter>();

  constructor(hooks: ReadIndexHooks) {
    this.#hooks = hooks;
  }

  read(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#queued.delete(w);
          this.#inflight?.waiters.delete(w);
          reject(new EtcdError('Timeout'));
        }, timeoutMs),
      };
      this.#queued.add(w);
      this.#startRound();
    });
  }

  tick(): void {
    const r = this.#inflight;
    if (r === undefined) return;
    if (++r.age < RETRY_TICKS) return;
    // Unanswered: fold its readers into a fresh round.
    for (const w of r.waiters) this.#queued.add(w);
    this.#inflight = undefined;
    this.#startRound();
  }

  onReadStates(states: readonly ReadState[]): void {
    for (const rs of states) {
      const r = this.#inflight;
      if (r === undefined || rs.context.length !== 8) continue;
      const ctx = Number(new DataView(rs.context.buffer, rs.context.byteOffset, 8).getBigUint64(0));
      if (ctx !== r.ctx) continue;
      this.#inflight = undefined;
      const done = this.#hooks.waitApplied(rs.index);
      for (const w of r.waiters) {
        void done.then(() => {
          clearTimeout(w.timer);
          w.resolve();
        });
      }
      this.#startRound();
    }
  }

  failAll(err: Error): void {
    const all = [...this.#queued, ...(this.#inflight?.waiters ?? [])];
    this.#queued.clear();
    this.#inflight = undefined;
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  #startRound(): void {
    if (this.#inflight !== undefined || this.#queued.size === 0) return;
    const ctx = this.#next++;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(ctx));
    const waiters = this.#queued;
    this.#queued = new Set();
    this.#inflight = { ctx, waiters, age: 0 };
    try {
      this.#hooks.request(bytes);
    } catch {
      // No leader yet: the round stays "in flight" and is retried on later ticks until the readers time out.
    }
    this.#hooks.wake();
  }
}
