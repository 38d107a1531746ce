// A cursor over one decoded block's entries (data, index or range-del), for
// callers that want the InternalIterator shape over a single block. Keys and
// values are views into the block, which is immutable, so they stay valid
// for as long as the caller holds them.

import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { Block } from './block.js';

export class BlockIterator implements InternalIterator {
  readonly #block: Block;
  /** Current entry; invalid when outside [0, count). */
  #pos = -1;

  constructor(block: Block) {
    this.#block = block;
  }

  get valid(): boolean {
    return this.#pos >= 0 && this.#pos < this.#block.count;
  }

  key(): Uint8Array {
    this.#check();
    return this.#block.key(this.#pos);
  }

  value(): Uint8Array {
    this.#check();
    return this.#block.value(this.#pos);
  }

  seekToFirst(): void {
    this.#pos = 0;
  }

  seekToLast(): void {
    this.#pos = this.#block.count - 1;
  }

  seek(ikey: Uint8Array): void {
    this.#pos = this.#block.lowerBound(ikey);
  }

  seekForPrev(ikey: Uint8Array): void {
    this.#pos = this.#block.upperBound(ikey) - 1;
  }

  next(): void {
    this.#check();
    this.#pos++;
  }

  prev(): void {
    this.#check();
    this.#pos--;
  }

  #check(): void {
    if (!this.valid) throw new Error('BlockIterator: not positioned on an entry');
  }
}
