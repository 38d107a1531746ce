// Flow control for one follower in replicate state: the MsgApps sent and not
// yet acknowledged, by last index and bytes. The leader stops sending when
// either limit is reached and frees slots as acknowledgements arrive.
// Invariant: indexes are increasing from oldest to newest.

export class Inflights {
  readonly #maxCount: number;
  readonly #maxBytes: number;
  #indexes: number[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxCount: number, maxBytes: number) {
    this.#maxCount = maxCount;
    this.#maxBytes = maxBytes;
  }

  get count(): number {
    return this.#indexes.length - this.#head;
  }

  add(index: number, bytes: number): void {
    this.#indexes.push(index);
    this.#sizes.push(bytes);
    this.#bytes += bytes;
  }

  /** Frees every message whose last index is at most `index`. */
  freeLE(index: number): void {
    while (this.#head < this.#indexes.length && (this.#indexes[this.#head] as number) <= index) {
      this.#bytes -= this.#sizes[this.#head] as number;
      this.#head++;
    }
    if (this.#head > 64 && this.#head * 2 > this.#indexes.length) {
      this.#indexes = this.#indexes.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Frees the oldest message (a heartbeat response shows the follower alive: its acknowledgements may have been lost). */
  freeFirstOne(): void {
    const first = this.#indexes[this.#head];
    if (first !== undefined) this.freeLE(first);
  }

  full(): boolean {
    return this.count >= this.#maxCount || (this.#maxBytes > 0 && this.#bytes >= this.#maxBytes);
  }

  reset(): void {
    this.#indexes = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
