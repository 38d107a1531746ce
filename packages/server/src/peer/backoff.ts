// Reconnect delays: doubling from a floor to a ceiling, back to the floor once
// a connection is confirmed. No jitter: a cluster has a handful of peers, and
// each peer client backs off on its own.

export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  #nextMs: number;

  constructor(minMs: number, maxMs: number) {
    this.#minMs = minMs;
    this.#maxMs = Math.max(minMs, maxMs);
    this.#nextMs = minMs;
  }

  /** The delay before the next attempt; each call doubles the following one, up to the ceiling. */
  next(): number {
    const d = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, d * 2);
    return d;
  }

  reset(): void {
    this.#nextMs = this.#minMs;
  }
}
