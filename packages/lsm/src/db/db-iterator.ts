// The user-facing cursor of a scan: turns the merged stream of internal
// entries into the visible state at one sequence number. Per table key it
// takes the newest version with seq <= readSeq, hides it if it is a deletion
// or lies under a newer range tombstone, and skips the older versions.
// Bounds are table keys: [lower, upper). Moving forward uses seek + next,
// backward seekForPrev + prev; one cursor moves in one direction.

import { copyOut } from '@strata/engine';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { compareRange, Kind, kindOf, MAX_SEQ, seekKey, seqOf, TABLE_ID_SIZE, TRAILER_SIZE } from '../keys/internal-key.js';
import type { FragmentIndex } from '../range-del/fragment-index.js';

export interface UserEntry {
  /** The user key (table id stripped), a fresh copy. */
  readonly key: Uint8Array;
  /** The value, a fresh copy. */
  readonly value: Uint8Array;
}

export class DbIterator {
  readonly #iter: InternalIterator;
  readonly #readSeq: number;
  readonly #tombstones: FragmentIndex;
  readonly #lower: Uint8Array;
  readonly #upper: Uint8Array | undefined;
  readonly #reverse: boolean;
  #started = false;

  constructor(
    iter: InternalIterator,
    options: { readSeq: number; tombstones: FragmentIndex; lower: Uint8Array; upper: Uint8Array | undefined; reverse: boolean },
  ) {
    this.#iter = iter;
    this.#readSeq = options.readSeq;
    this.#tombstones = options.tombstones;
    this.#lower = options.lower;
    this.#upper = options.upper;
    this.#reverse = options.reverse;
  }

  /** The next visible entry in scan order, or undefined at the end. */
  next(): UserEntry | undefined {
    if (!this.#started) {
      this.#started = true;
      if (this.#reverse) {
        if (this.#upper === undefined) this.#iter.seekToLast();
        else this.#iter.seekForPrev(seekKey(this.#upper, MAX_SEQ));
      } else {
        this.#iter.seek(seekKey(this.#lower, MAX_SEQ));
      }
    }
    return this.#reverse ? this.#prevEntry() : this.#nextEntry();
  }

  #visible(tkey: Uint8Array, kind: number, seq: number): boolean {
    if (kind !== Kind.Put) return false;
    return this.#tombstones.empty || this.#tombstones.maxCovering(tkey, this.#readSeq) <= seq;
  }

  #nextEntry(): UserEntry | undefined {
    const it = this.#iter;
    const upper = this.#upper;
    const readSeq = this.#readSeq;
    while (it.valid) {
      let cur = it.key();
      const klen = cur.length - TRAILER_SIZE;
      if (upper !== undefined && compareRange(cur, 0, klen, upper, 0, upper.length) >= 0) return undefined;
      // Copied (cheaply, see copyOut): the view changes once the cursor moves.
      const tkey = copyOut(cur, 0, klen);
      let found: UserEntry | undefined;
      let decided = false;
      for (;;) {
        if (!decided) {
          const seq = seqOf(cur);
          if (seq <= readSeq) {
            decided = true;
            if (this.#visible(tkey, kindOf(cur), seq)) {
              const v = it.value();
              found = { key: tkey.subarray(TABLE_ID_SIZE), value: copyOut(v, 0, v.length) };
            }
          }
        }
        it.next();
        if (!it.valid) break;
        cur = it.key();
        if (compareRange(cur, 0, cur.length - TRAILER_SIZE, tkey, 0, klen) !== 0) break;
      }
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #prevEntry(): UserEntry | undefined {
    const it = this.#iter;
    while (it.valid) {
      const k = it.key();
      const klen = k.length - TRAILER_SIZE;
      if (compareRange(k, 0, klen, this.#lower, 0, this.#lower.length) < 0) return undefined;
      const tkey = copyOut(k, 0, klen);
      // Moving backward, versions come oldest first: the last visible one wins.
      let kind = -1;
      let seq = 0;
      let value: Uint8Array | undefined;
      do {
        const cur = it.key();
        const s = seqOf(cur);
        if (s <= this.#readSeq) {
          kind = kindOf(cur);
          seq = s;
          const v = it.value();
          value = copyOut(v, 0, v.length);
        }
        it.prev();
      } while (it.valid && compareRange(it.key(), 0, it.key().length - TRAILER_SIZE, tkey, 0, klen) === 0);
      if (value !== undefined && this.#visible(tkey, kind, seq)) return { key: tkey.subarray(TABLE_ID_SIZE), value };
    }
    return undefined;
  }
}
