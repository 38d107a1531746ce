// A memtable's entries packed into four flat arrays, to hand a flush to the
// worker thread with transferable buffers instead of a million small objects,
// and a cursor over them. Entries stay in internal-key order.

import type { InternalIterator } from '../../iterator/internal-iterator.js';
import { compareInternal } from '../../keys/internal-key.js';

export interface PackedEntries {
  /** Internal keys back to back; key i is keys[keyEnds[i-1], keyEnds[i]). */
  readonly keys: Uint8Array;
  readonly keyEnds: Uint32Array;
  readonly values: Uint8Array;
  readonly valueEnds: Uint32Array;
}

/** Packs every entry of `iter` (from the first). */
export function packEntries(iter: InternalIterator, count: number): PackedEntries {
  const keyEnds = new Uint32Array(count);
  const valueEnds = new Uint32Array(count);
  const keyRefs: Uint8Array[] = [];
  const valueRefs: Uint8Array[] = [];
  let kb = 0;
  let vb = 0;
  let n = 0;
  for (iter.seekToFirst(); iter.valid && n < count; iter.next()) {
    const k = iter.key();
    const v = iter.value();
    keyRefs.push(k);
    valueRefs.push(v);
    kb += k.length;
    vb += v.length;
    keyEnds[n] = kb;
    valueEnds[n] = vb;
    n++;
  }
  const keys = new Uint8Array(kb);
  const values = new Uint8Array(vb);
  let kp = 0;
  let vp = 0;
  for (let i = 0; i < n; i++) {
    const k = keyRefs[i] as Uint8Array;
    const v = valueRefs[i] as Uint8Array;
    keys.set(k, kp);
    values.set(v, vp);
    kp += k.length;
    vp += v.length;
  }
  return { keys, keyEnds: keyEnds.subarray(0, n), values, valueEnds: valueEnds.subarray(0, n) };
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
