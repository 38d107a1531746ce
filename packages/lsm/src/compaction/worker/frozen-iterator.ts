// A cursor over a sealed memtable's entries as the flush worker receives
// them: the arena's shared chunks and the refs in internal-key order
// (Memtable.frozen()). Nothing is copied to get here.

import type { InternalIterator } from '../../iterator/internal-iterator.js';
import { compareInternal } from '../../keys/internal-key.js';
import { entryKey, entryValue } from '../../memtable/arena.js';
import type { FrozenEntries } from '../../memtable/memtable.js';

export class FrozenIterator implements InternalIterator {
  readonly #chunks: readonly Uint8Array[];
  readonly #refs: Float64Array;
  #i = -1;

  constructor(e: FrozenEntries) {
    this.#chunks = e.chunks;
    this.#refs = e.refs;
  }

  get valid(): boolean {
    return this.#i >= 0 && this.#i < this.#refs.length;
  }

  key(): Uint8Array {
    return entryKey(this.#chunks, this.#refs[this.#i] as number);
  }

  value(): Uint8Array {
    return entryValue(this.#chunks, this.#refs[this.#i] as number);
  }

  seekToFirst(): void {
    this.#i = 0;
  }

  seekToLast(): void {
    this.#i = this.#refs.length - 1;
  }

  seek(ikey: Uint8Array): void {
    let lo = 0;
    let hi = this.#refs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      this.#i = mid;
      if (compareInternal(this.key(), ikey) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#i = lo;
  }

  seekForPrev(ikey: Uint8Array): void {
    this.seek(ikey);
    if (!this.valid || compareInternal(this.key(), ikey) > 0) this.#i--;
  }

  next(): void {
    this.#i++;
  }

  prev(): void {
    this.#i--;
  }
}
