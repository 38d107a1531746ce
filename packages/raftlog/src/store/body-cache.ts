// Decoded batch bodies kept in memory, so reads of recent entries (Raft's
// followers catching up, the leader re-sending) never touch a segment file.
// Keyed by segment and frame offset; least recently used bodies go first
// once the cache holds more than its budget. The write path inserts each
// committed body; a read that had to go to the file inserts what it read.

function keyOf(segment: number, frame: number): string {
  return `${segment}:${frame}`;
}

interface Cached {
  readonly segment: number;
  readonly body: Uint8Array;
}

export class BodyCache {
  readonly #budget: number;
  /** Map order is recency order: the first key is the least recently used. */
  readonly #bodies = new Map<string, Cached>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(segment: number, frame: number): Uint8Array | undefined {
    const key = keyOf(segment, frame);
    const c = this.#bodies.get(key);
    if (c === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#bodies.delete(key);
    this.#bodies.set(key, c);
    return c.body;
  }

  put(segment: number, frame: number, body: Uint8Array): void {
    if (body.length > this.#budget) return;
    const key = keyOf(segment, frame);
    const old = this.#bodies.get(key);
    if (old !== undefined) this.#bytes -= old.body.length;
    this.#bodies.delete(key);
    this.#bodies.set(key, { segment, body });
    this.#bytes += body.length;
    for (const [k, c] of this.#bodies) {
      if (this.#bytes <= this.#budget) break;
      this.#bodies.delete(k);
      this.#bytes -= c.body.length;
    }
  }

  /** Drops every body of segments below `segment` (they were purged). */
  dropBelow(segment: number): void {
    for (const [k, c] of this.#bodies) {
      if (c.segment >= segment) continue;
      this.#bodies.delete(k);
      this.#bytes -= c.body.length;
    }
  }
}
