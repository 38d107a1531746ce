// A scan over one MvccTable at a fixed sequence number. It holds a reader
// registration (so the versions it reads are not pruned) from creation until
// it is exhausted, returned early, or the engine closes. Between steps the
// table may change: the cursor keeps the last key it returned and re-seeks
// by key whenever the table's layout moved under it.

import { bytesEqual } from '../bytes.js';
import { Closed } from '../errors.js';
import type { Entry } from '../storage-engine.js';
import type { ScanRange } from '../validate.js';
import type { MvccTable } from './mvcc-table.js';

export interface ScanContext {
  /** True once the engine is closed. */
  isClosed(): boolean;
  /** Called exactly once, when the scan ends for any reason. */
  release(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class MemoryScanIterator implements AsyncIterableIterator<Entry> {
  readonly #table: MvccTable;
  readonly #range: ScanRange;
  readonly #seq: number;
  readonly #ctx: ScanContext;
  #finished = false;
  #count = 0;
  #lastKey: Uint8Array | undefined;
  #lastIndex = -1;
  #layout = -1;

  constructor(table: MvccTable, range: ScanRange, seq: number, ctx: ScanContext) {
    this.#table = table;
    this.#range = range;
    this.#seq = seq;
    this.#ctx = ctx;
    if (range.empty) this.#finish();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Entry, undefined>> {
    if (this.#finished) return Promise.resolve(DONE);
    if (this.#ctx.isClosed()) {
      this.#finish();
      return Promise.reject(new Closed());
    }
    const found = this.#table.seekVisible(
      this.#startIndex(),
      this.#range.reverse ? -1 : 1,
      this.#seq,
      this.#range.lower,
      this.#range.upper,
    );
    if (found === undefined) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    this.#lastKey = found.key;
    this.#lastIndex = found.index;
    this.#layout = this.#table.layout;
    if (++this.#count >= this.#range.limit) this.#finish();
    return Promise.resolve({ done: false, value: { key: found.key.slice(), value: found.value.slice() } });
  }

  return(): Promise<IteratorResult<Entry, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  #startIndex(): number {
    const t = this.#table;
    const { lower, upper, reverse } = this.#range;
    const last = this.#lastKey;
    if (last === undefined) {
      if (!reverse) return lower === undefined ? 0 : t.lowerBound(lower);
      return (upper === undefined ? t.size : t.lowerBound(upper)) - 1;
    }
    if (this.#layout === t.layout) return this.#lastIndex + (reverse ? -1 : 1);
    const i = t.lowerBound(last);
    if (reverse) return i - 1;
    const at = t.keyAt(i);
    return at !== undefined && bytesEqual(at, last) ? i + 1 : i;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.release();
  }
}
