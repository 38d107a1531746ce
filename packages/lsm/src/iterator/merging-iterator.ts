// Merges sorted child iterators into one sorted stream of internal keys, as
// LevelDB's MergingIterator does: a binary heap of the valid children, a
// min-heap moving forward and a max-heap moving backward. Switching
// direction re-positions every other child around the current key.
// Internal keys are unique across children (every op has its own seq), so
// no tie-breaking is needed.

import { compareInternal } from '../keys/internal-key.js';
import type { InternalIterator } from './internal-iterator.js';

export class MergingIterator implements InternalIterator {
  readonly #children: readonly InternalIterator[];
  /** Heap of valid children; the root is the current one. */
  #heap: InternalIterator[] = [];
  /** 1 forward (min-heap), -1 reverse (max-heap). */
  #dir = 1;

  constructor(children: readonly InternalIterator[]) {
    this.#children = children;
  }

  get valid(): boolean {
    return this.#heap.length > 0;
  }

  key(): Uint8Array {
    return (this.#heap[0] as InternalIterator).key();
  }

  value(): Uint8Array {
    return (this.#heap[0] as InternalIterator).value();
  }

  seekToFirst(): void {
    for (const c of this.#children) c.seekToFirst();
    this.#build(1);
  }

  seekToLast(): void {
    for (const c of this.#children) c.seekToLast();
    this.#build(-1);
  }

  seek(ikey: Uint8Array): void {
    for (const c of this.#children) c.seek(ikey);
    this.#build(1);
  }

  seekForPrev(ikey: Uint8Array): void {
    for (const c of this.#children) c.seekForPrev(ikey);
    this.#build(-1);
  }

  next(): void {
    const cur = this.#heap[0] as InternalIterator;
    if (this.#dir !== 1) {
      const key = cur.key().slice();
      for (const c of this.#children) if (c !== cur) c.seek(key);
      // Every other child is now at its first key >= key, which is > key (keys are unique).
      cur.next();
      this.#build(1);
      return;
    }
    cur.next();
    this.#replaceTop(cur);
  }

  prev(): void {
    const cur = this.#heap[0] as InternalIterator;
    if (this.#dir !== -1) {
      const key = cur.key().slice();
      for (const c of this.#children) if (c !== cur) c.seekForPrev(key);
      cur.prev();
      this.#build(-1);
      return;
    }
    cur.prev();
    this.#replaceTop(cur);
  }

  #less(a: InternalIterator, b: InternalIterator): boolean {
    return compareInternal(a.key(), b.key()) * this.#dir < 0;
  }

  #build(dir: number): void {
    this.#dir = dir;
    this.#heap = this.#children.filter((c) => c.valid);
    for (let i = (this.#heap.length >>> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  /** The root moved; restore the heap (dropping it if exhausted). */
  #replaceTop(cur: InternalIterator): void {
    const heap = this.#heap;
    if (!cur.valid) {
      const last = heap.pop() as InternalIterator;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    this.#siftDown(0);
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[i] as InternalIterator;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && this.#less(heap[r] as InternalIterator, heap[l] as InternalIterator)) m = r;
      if (!this.#less(heap[m] as InternalIterator, item)) break;
      heap[i] = heap[m] as InternalIterator;
      i = m;
    }
    heap[i] = item;
  }
}
