// The two-level cursor over a table's point entries: the index block (in
// memory) picks the data block, the block cache supplies it decoded, and
// the cursor walks entries across block boundaries in both directions.
// Keys and values are views into cached blocks: valid until the cursor moves.
// A block that fails to load throws from the positioning call and leaves
// the cursor invalid.

import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { Block } from './block.js';

/** What the cursor reads: the index and data blocks by position. */
export interface DataBlockSource {
  /** One entry per data block: its last key; the handle is the reader's business. */
  readonly index: Block;
  /** Data block `i` (0 <= i < index.count), decoded and checked; never empty. */
  dataBlock(i: number): Block;
}

export class TableIterator implements InternalIterator {
  readonly #src: DataBlockSource;
  #bi = -1;
  #block: Block | undefined;
  #pos = 0;
  /** The current key's view, made on first use after each move (merging iterators ask often). */
  #key: Uint8Array | undefined;

  constructor(src: DataBlockSource) {
    this.#src = src;
  }

  get valid(): boolean {
    return this.#block !== undefined;
  }

  key(): Uint8Array {
    return (this.#key ??= this.#current().key(this.#pos));
  }

  value(): Uint8Array {
    return this.#current().value(this.#pos);
  }

  seekToFirst(): void {
    this.#enter(0, true);
  }

  seekToLast(): void {
    this.#enter(this.#src.index.count - 1, false);
  }

  seek(ikey: Uint8Array): void {
    // The first block whose last key is >= ikey holds the answer.
    const bi = this.#src.index.lowerBound(ikey);
    if (!this.#load(bi)) return;
    const block = this.#block as Block;
    this.#pos = block.lowerBound(ikey);
    // A block never ends before its index key, so the position is in range; stay safe if it were not.
    if (this.#pos >= block.count) this.#enter(bi + 1, true);
  }

  seekForPrev(ikey: Uint8Array): void {
    const index = this.#src.index;
    const bi = index.lowerBound(ikey);
    if (bi >= index.count) {
      this.#enter(index.count - 1, false);
      return;
    }
    if (!this.#load(bi)) return;
    const pos = (this.#block as Block).upperBound(ikey) - 1;
    if (pos >= 0) this.#pos = pos;
    else this.#enter(bi - 1, false);
  }

  next(): void {
    const block = this.#current();
    this.#key = undefined;
    if (this.#pos + 1 < block.count) this.#pos++;
    else this.#enter(this.#bi + 1, true);
  }

  prev(): void {
    this.#current();
    this.#key = undefined;
    if (this.#pos > 0) this.#pos--;
    else this.#enter(this.#bi - 1, false);
  }

  /** Positions on the first (or last) entry of block `bi`, or invalid if there is no such block. */
  #enter(bi: number, first: boolean): void {
    if (!this.#load(bi)) return;
    this.#pos = first ? 0 : (this.#block as Block).count - 1;
  }

  /** Makes block `bi` current (position unset) and drops the cached key; false if there is no such block. */
  #load(bi: number): boolean {
    this.#block = undefined;
    this.#key = undefined;
    if (bi < 0 || bi >= this.#src.index.count) return false;
    const block = this.#src.dataBlock(bi);
    this.#bi = bi;
    this.#block = block;
    return true;
  }

  #current(): Block {
    if (this.#block === undefined) throw new Error('TableIterator: not positioned on an entry');
    return this.#block;
  }
}
