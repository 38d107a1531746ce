// Requests waiting for their proposed entry to apply. Each proposal gets a
// sequence number unique to this member's run; the applier settles it with
// the apply result (or an apply-time error) when the entry carrying
// (this member, seq) applies. A proposal lost to a leader change times out.

import { EtcdError } from '../errors.js';

interface Pending {
  resolve(v: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Proposals {
  // Start from the clock so a restarted member never reuses a live sequence number.
  #seq = Date.now() * 1000;
  readonly #pending = new Map<number, Pending>();

  next(): number {
    return ++this.#seq;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Waits for `seq` to be settled; Timeout after `timeoutMs`. */
  wait<T>(seq: number, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new EtcdError('Timeout'));
      }, timeoutMs);
      this.#pending.set(seq, { resolve: (v: unknown) => resolve(v as T), reject, timer });
    });
  }

  settle(seq: number, result: unknown): void {
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    p.resolve(result);
  }

  fail(seq: number, err: Error): void {
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    p.reject(err);
  }

  failAll(err: Error): void {
    for (const seq of [...this.#pending.keys()]) this.fail(seq, err);
  }
}
