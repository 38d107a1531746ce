// Where each entry of one Raft group lives: columnar, not an object per
// entry. Entry i (for firstIndex <= i <= lastIndex) is in segment seg[i],
// in the frame at frame[i], at offset off[i] of the frame's decoded body,
// len[i] bytes long: four u32 columns, 16 bytes per entry. Terms are stored
// as runs (index where a term starts, term), since a leader's term covers
// long stretches of the log. The columns are a queue: compaction moves a
// head forward and the arrays are repacked once the dead prefix is half of
// them, so appends and compactions are amortized O(1).

import { InvalidArgument } from '@strata/engine';

/** Where an entry's bytes are. */
export interface EntryLocation {
  readonly segment: number;
  readonly frame: number;
  readonly offset: number;
  readonly length: number;
}

const MIN_CAPACITY = 64;

export class EntryIndex {
  #seg: Uint32Array = new Uint32Array(MIN_CAPACITY);
  #frame: Uint32Array = new Uint32Array(MIN_CAPACITY);
  #off: Uint32Array = new Uint32Array(MIN_CAPACITY);
  #len: Uint32Array = new Uint32Array(MIN_CAPACITY);
  /** Slot of firstIndex in the columns, and how many entries follow it. */
  #head = 0;
  #count = 0;
  /** The index of the entry at #head; meaningful when #count > 0, else the next index expected. */
  #first = 1;
  /**
   * Term runs: runStart[k] is the first index of run k, runTerm[k] its term.
   * runStart ascends (lookups search it); terms need not, though Raft's do.
   * The first run may start before #first.
   */
  #runStart: number[] = [];
  #runTerm: number[] = [];

  /** The first entry still held, or, when empty, the index the next append must start at (if it does not reset). */
  get firstIndex(): number {
    return this.#first;
  }

  /** The last entry held, or firstIndex − 1 when empty. */
  get lastIndex(): number {
    return this.#first + this.#count - 1;
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes of typed-array columns and term runs held. */
  get memoryBytes(): number {
    return this.#seg.byteLength * 4 + this.#runStart.length * 16;
  }

  /**
   * Appends entries from `firstIndex` on, replacing any held at or after it:
   * their terms, and where their data is (in `segment`, in the frame at
   * `frame`, at base + offsets[i] of its body, lengths[i] bytes long). `firstIndex`
   * may be at most lastIndex + 1; an empty index accepts any start (the log
   * restarts after a snapshot).
   */
  append(firstIndex: number, terms: readonly number[], segment: number, frame: number, offsets: readonly number[], lengths: readonly number[], base = 0): void {
    const n = terms.length;
    if (offsets.length !== n || lengths.length !== n) throw new InvalidArgument(`${n} terms for ${offsets.length} offsets and ${lengths.length} lengths`);
    if (n === 0) return;
    for (let i = 1; i < n; i++) if ((terms[i] as number) < (terms[i - 1] as number)) throw new InvalidArgument(`term ${terms[i]} at index ${firstIndex + i} is below the term before it`);
    if (this.#count === 0) {
      this.#first = firstIndex;
      this.#head = 0;
      this.#runStart = [];
      this.#runTerm = [];
    } else {
      // Every check comes before the first change: a refused append leaves the index as it was.
      if (firstIndex > this.lastIndex + 1) throw new InvalidArgument(`append at ${firstIndex} leaves a gap after ${this.lastIndex}`);
      if (firstIndex < this.#first) throw new InvalidArgument(`append at ${firstIndex} is below the first held entry ${this.#first}`);
      if (segment < (this.#seg[this.#head + this.#count - 1] as number)) throw new InvalidArgument(`append in segment ${segment} after entries in a later one`);
      this.truncate(firstIndex);
    }
    this.#reserve(n);
    let slot = this.#head + this.#count;
    for (let i = 0; i < n; i++, slot++) {
      this.#seg[slot] = segment;
      this.#frame[slot] = frame;
      this.#off[slot] = base + (offsets[i] as number);
      this.#len[slot] = lengths[i] as number;
      const term = terms[i] as number;
      const last = this.#runTerm.length - 1;
      if (last < 0 || this.#runTerm[last] !== term) {
        this.#runStart.push(firstIndex + i);
        this.#runTerm.push(term);
      }
    }
    this.#count += n;
  }

  /** Drops entries at or after `from`. */
  truncate(from: number): void {
    if (from > this.lastIndex) return;
    const keep = Math.max(0, from - this.#first);
    this.#count = keep;
    // Runs that start at or after `from` go; the run covering from − 1 stays.
    while (this.#runStart.length > 0 && (this.#runStart[this.#runStart.length - 1] as number) >= from) {
      this.#runStart.pop();
      this.#runTerm.pop();
    }
    if (keep === 0) this.#first = Math.max(this.#first, from);
  }

  /** Drops every entry; the next append may start anywhere, and firstIndex is `index` until then. */
  reset(index: number): void {
    this.#count = 0;
    this.#head = 0;
    this.#first = index;
    this.#runStart = [];
    this.#runTerm = [];
  }

  /** Drops entries below `index`. Compacting past the last entry empties the index; the next append may start anywhere. */
  compactTo(index: number): void {
    if (index <= this.#first) return;
    if (index > this.lastIndex) {
      this.reset(index);
      return;
    }
    const drop = index - this.#first;
    this.#head += drop;
    this.#count -= drop;
    this.#first = index;
    // Keep the run covering the new first entry; drop the ones wholly before it.
    let k = 0;
    while (k + 1 < this.#runStart.length && (this.#runStart[k + 1] as number) <= index) k++;
    if (k > 0) {
      this.#runStart.splice(0, k);
      this.#runTerm.splice(0, k);
    }
    if (this.#head * 2 >= this.#seg.length) this.#repack(this.#seg.length);
  }

  #has(index: number): boolean {
    return this.#count > 0 && index >= this.#first && index <= this.lastIndex;
  }

  /** The term of a held entry, or undefined. */
  term(index: number): number | undefined {
    if (!this.#has(index)) return undefined;
    let lo = 0;
    let hi = this.#runStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.#runStart[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.#runTerm[lo];
  }

  /** Where a held entry is, or undefined. */
  location(index: number): EntryLocation | undefined {
    if (!this.#has(index)) return undefined;
    const slot = this.#head + index - this.#first;
    return { segment: this.#seg[slot] as number, frame: this.#frame[slot] as number, offset: this.#off[slot] as number, length: this.#len[slot] as number };
  }

  /**
   * The oldest segment any held entry is in, or undefined when empty.
   * Invariant: segments never decrease with the index (an append replaces the
   * suffix from its first index, and is written to the newest segment), so
   * it is the first entry's.
   */
  oldestSegment(): number | undefined {
    return this.#count === 0 ? undefined : this.#seg[this.#head];
  }

  #reserve(extra: number): void {
    const need = this.#head + this.#count + extra;
    if (need <= this.#seg.length) return;
    let cap = Math.max(MIN_CAPACITY, this.#seg.length);
    while (cap < this.#count + extra) cap *= 2;
    if (cap < (this.#count + extra) * 1.5) cap *= 2;
    this.#repack(cap);
  }

  /** Moves the live entries to the front of columns of `capacity` slots. */
  #repack(capacity: number): void {
    const from = this.#head;
    const to = this.#head + this.#count;
    const move = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(capacity);
      b.set(a.subarray(from, to));
      return b;
    };
    this.#seg = move(this.#seg);
    this.#frame = move(this.#frame);
    this.#off = move(this.#off);
    this.#len = move(this.#len);
    this.#head = 0;
  }
}
