// Decoded frame bodies (a commit group's batches) kept in memory, so reads of recent entries (Raft's
// followers catching up, the leader re-sending) never touch a segment file.
// Keyed by segment and frame offset. First in, first out: the write path
// inserts each committed body, a read that had to go to the file inserts
// what it read, and the oldest insertions go once the cache holds more than
// its budget. (A Map alone, evicting by iterating from its front, costs
// O(evicted so far) per insertion in V8; the queue keeps eviction O(1).)
// The budget counts body bytes; a body may be a view of a larger buffer
// (a batch's, or a slab of Node's buffer pool), so the memory it retains
// can be somewhat higher.

function keyOf(segment: number, frame: number): string {
  return `${segment}:${frame}`;
}

interface Cached {
  readonly key: string;
  readonly segment: number;
  readonly body: Uint8Array;
}

export class BodyCache {
  readonly #budget: number;
  readonly #bodies = new Map<string, Cached>();
  /** Insertion order; entries from #head on may be stale (replaced or dropped), which eviction skips. */
  #queue: Cached[] = [];
  #head = 0;
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
    const c = this.#bodies.get(keyOf(segment, frame));
    if (c === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return c.body;
  }

  put(segment: number, frame: number, body: Uint8Array): void {
    if (body.length > this.#budget) return;
    const key = keyOf(segment, frame);
    const old = this.#bodies.get(key);
    if (old !== undefined) this.#bytes -= old.body.length;
    const c = { key, segment, body };
    this.#bodies.set(key, c);
    this.#queue.push(c);
    this.#bytes += body.length;
    while (this.#bytes > this.#budget && this.#head < this.#queue.length) {
      const victim = this.#queue[this.#head++] as Cached;
      if (this.#bodies.get(victim.key) !== victim) continue;
      this.#bodies.delete(victim.key);
      this.#bytes -= victim.body.length;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops every body of segments below `segment` (they were purged). */
  dropBelow(segment: number): void {
    for (const [k, c] of this.#bodies) {
      if (c.segment >= segment) continue;
      this.#bodies.delete(k);
      this.#bytes -= c.body.length;
    }
    // The queue must not keep dropped bodies alive.
    this.#queue = this.#queue.slice(this.#head).filter((c) => this.#bodies.get(c.key) === c);
    this.#head = 0;
  }
}
