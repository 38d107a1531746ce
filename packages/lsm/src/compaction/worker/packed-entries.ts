// A memtable's entries packed into four flat arrays, to hand a flush to the
// worker thread with transferable buffers instead of a million small objects,
// and a cursor over them. Entries stay in internal-key order.

import type { InternalIterator } from '../../iterator/internal-iterator.js';
import { compareInternal } from '../../keys/internal-key.js';
import type { Yielder } from '../yielder.js';

export interface PackedEntries {
  /** Internal keys back to back; key i is keys[keyEnds[i-1], keyEnds[i]). */
  readonly keys: Uint8Array;
  readonly keyEnds: Uint32Array;
  readonly values: Uint8Array;
  readonly valueEnds: Uint32Array;
}

/**
 * Packs every entry of `iter` (from the first): `count` entries holding
 * `keyBytes` and `valueBytes` bytes in all. Runs in time slices (`yielder`):
 * the source must not change meanwhile (an immutable memtable).
 */
export async function packEntries(
  iter: InternalIterator,
  sizes: { readonly count: number; readonly keyBytes: number; readonly valueBytes: number },
  yielder: Yielder,
): Promise<PackedEntries> {
  const keyEnds = new Uint32Array(sizes.count);
  const valueEnds = new Uint32Array(sizes.count);
  const keys = new Uint8Array(sizes.keyBytes);
  const values = new Uint8Array(sizes.valueBytes);
  let kp = 0;
  let vp = 0;
  let n = 0;
  for (iter.seekToFirst(); iter.valid; iter.next()) {
    if (n >= sizes.count) throw new Error('packEntries: more entries than counted');
    kp = copyInto(keys, kp, iter.key());
    vp = copyInto(values, vp, iter.value());
    keyEnds[n] = kp;
    valueEnds[n] = vp;
    n++;
    if (yielder.due()) await yielder.yield();
  }
  return { keys: keys.subarray(0, kp), keyEnds: keyEnds.subarray(0, n), values: values.subarray(0, vp), valueEnds: valueEnds.subarray(0, n) };
}

/** Copies `src` into `dst` at `pos`; returns the end. A loop beats set() for short arrays. */
function copyInto(dst: Uint8Array, pos: number, src: Uint8Array): number {
  const n = src.length;
  if (pos + n > dst.length) throw new Error('packEntries: more bytes than counted');
  if (n <= 32) {
    for (let i = 0; i < n; i++) dst[pos + i] = src[i] as number;
  } else {
    dst.set(src, pos);
  }
  return pos + n;
}

export class PackedIterator implements InternalIterator {
  readonly #p: PackedEntries;
  #i = -1;

  constructor(p: PackedEntries) {
    this.#p = p;
  }

  get valid(): boolean {
    return this.#i >= 0 && this.#i < this.#p.keyEnds.length;
  }

  key(): Uint8Array {
    const i = this.#i;
    return this.#p.keys.subarray(i === 0 ? 0 : (this.#p.keyEnds[i - 1]), this.#p.keyEnds[i]);
  }

  value(): Uint8Array {
    const i = this.#i;
    return this.#p.values.subarray(i === 0 ? 0 : (this.#p.valueEnds[i - 1]), this.#p.valueEnds[i]);
  }

  seekToFirst(): void {
    this.#i = 0;
  }

  seekToLast(): void {
    this.#i = this.#p.keyEnds.length - 1;
  }

  seek(ikey: Uint8Array): void {
    let lo = 0;
    let hi = this.#p.keyEnds.length;
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
