// A scan over one table of a pinned version. The pin is taken by whoever
// creates the scan and released exactly once: when the scan is exhausted,
// returned early, fails, or finds the engine closed. Pages are read lazily,
// so I/O errors and Corruption surface from next().

import { Closed, type Entry, type ScanRange } from '@strata/engine';
import { compareBytes } from '@strata/engine';
import type { TableRoot } from '../format/catalog.js';
import type { Pager } from '../store/pager.js';
import { Cursor } from '../tree/cursor.js';
import { materializeVal } from '../tree/lookup.js';

export interface ScanContext {
  readonly pager: Pager;
  isClosed(): boolean;
  /** Called exactly once, when the scan ends for any reason. */
  release(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class BtreeScan implements AsyncIterableIterator<Entry> {
  readonly #ctx: ScanContext;
  readonly #cursor: Cursor;
  readonly #range: ScanRange;
  #started = false;
  #finished = false;
  #count = 0;

  constructor(ctx: ScanContext, root: TableRoot, range: ScanRange) {
    this.#ctx = ctx;
    this.#cursor = new Cursor(ctx.pager, root);
    this.#range = range;
    if (range.empty) this.#finish();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.release();
  }

  #step(): Entry | undefined {
    const c = this.#cursor;
    const { lower, upper, reverse, limit } = this.#range;
    if (!this.#started) {
      this.#started = true;
      if (reverse) {
        if (upper === undefined) c.seekLast();
        else c.seekLT(upper);
      } else if (lower === undefined) c.seekFirst();
      else c.seekGE(lower);
    } else if (reverse) c.prev();
    else c.next();
    if (!c.valid) return undefined;
    const key = c.key();
    if (reverse ? lower !== undefined && compareBytes(key, lower) < 0 : upper !== undefined && compareBytes(key, upper) >= 0) return undefined;
    const entry = { key: key.slice(), value: materializeVal(this.#ctx.pager, c.val()) };
    if (++this.#count >= limit) this.#finish();
    return entry;
  }

  next(): Promise<IteratorResult<Entry, undefined>> {
    if (this.#finished) return Promise.resolve(DONE);
    if (this.#ctx.isClosed()) {
      this.#finish();
      return Promise.reject(new Closed());
    }
    try {
      const e = this.#step();
      if (e === undefined) {
        this.#finish();
        return Promise.resolve(DONE);
      }
      return Promise.resolve({ done: false, value: e });
    } catch (err) {
      this.#finish();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  return(): Promise<IteratorResult<Entry, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }
}
