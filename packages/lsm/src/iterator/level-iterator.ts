// Iterates one sorted level (>= 1) as a single run: the level's files in key
// order, each opened through the table cache only when the cursor enters it.
// Holds at most one table handle at a time; close() releases it.

import { compareBytes, tableKeyOf } from '../keys/internal-key.js';
import type { TableCache, TableHandle } from '../table-cache/table-cache.js';
import { firstNotBefore, type FileMeta } from '../version/file-meta.js';
import type { InternalIterator } from './internal-iterator.js';

export class LevelIterator implements InternalIterator {
  readonly #files: readonly FileMeta[];
  readonly #cache: TableCache;
  #index = -1;
  #handle: TableHandle | undefined;
  #iter: InternalIterator | undefined;

  readonly #fillCache: boolean;

  constructor(files: readonly FileMeta[], cache: TableCache, options?: { readonly fillCache?: boolean }) {
    this.#files = files;
    this.#cache = cache;
    this.#fillCache = options?.fillCache ?? true;
  }

  get valid(): boolean {
    return this.#iter?.valid ?? false;
  }

  key(): Uint8Array {
    return (this.#iter as InternalIterator).key();
  }

  value(): Uint8Array {
    return (this.#iter as InternalIterator).value();
  }

  #open(i: number): void {
    if (i === this.#index && this.#iter !== undefined) return;
    this.#handle?.release();
    this.#handle = undefined;
    this.#iter = undefined;
    this.#index = i;
    const f = this.#files[i];
    if (f === undefined) return;
    this.#handle = this.#cache.acquire(f);
    this.#iter = this.#handle.reader.iterator({ fillCache: this.#fillCache });
  }

  seekToFirst(): void {
    this.#open(0);
    this.#iter?.seekToFirst();
    this.#skipForward();
  }

  seekToLast(): void {
    this.#open(this.#files.length - 1);
    this.#iter?.seekToLast();
    this.#skipBackward();
  }

  seek(ikey: Uint8Array): void {
    this.#open(firstNotBefore(this.#files, tableKeyOf(ikey)));
    this.#iter?.seek(ikey);
    this.#skipForward();
  }

  seekForPrev(ikey: Uint8Array): void {
    const tkey = tableKeyOf(ikey);
    // Last file whose smallest <= tkey.
    let lo = 0;
    let hi = this.#files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes((this.#files[mid] as FileMeta).smallest, tkey) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.#open(lo - 1);
    this.#iter?.seekForPrev(ikey);
    this.#skipBackward();
  }

  next(): void {
    (this.#iter as InternalIterator).next();
    this.#skipForward();
  }

  prev(): void {
    (this.#iter as InternalIterator).prev();
    this.#skipBackward();
  }

  /** While the current file is exhausted, move to the start of the next one. */
  #skipForward(): void {
    while (this.#iter !== undefined && !this.#iter.valid) {
      if (this.#index + 1 >= this.#files.length) {
        this.#release();
        return;
      }
      this.#open(this.#index + 1);
      this.#iter?.seekToFirst();
    }
  }

  #skipBackward(): void {
    while (this.#iter !== undefined && !this.#iter.valid) {
      if (this.#index <= 0) {
        this.#release();
        return;
      }
      this.#open(this.#index - 1);
      this.#iter?.seekToLast();
    }
  }

  #release(): void {
    this.#handle?.release();
    this.#handle = undefined;
    this.#iter = undefined;
    this.#index = -1;
  }

  close(): void {
    this.#release();
  }
}
