// Builds one block (docs/format/sstable.md, "Blocks"): prefix-compressed
// entries with a full key every `restartInterval` entries, then the restart
// offsets and their count. Used for data, index and range-del blocks. The
// caller adds keys in strictly increasing internal-key order; the builder
// does not check (the table builder does) and reuses its buffers after reset.

import { copyBytes, copyBytesVia } from '@strata/engine';
import { RESTART_SIZE } from './format.js';

export class BlockBuilder {
  readonly #restartInterval: number;
  #buf = new Uint8Array(1024);
  #view = new DataView(this.#buf.buffer);
  #len = 0;
  #restarts: number[] = [0];
  #sinceRestart = 0;
  #count = 0;
  #last = new Uint8Array(64);
  #lastLen = 0;

  constructor(restartInterval: number) {
    if (!Number.isInteger(restartInterval) || restartInterval < 1) throw new RangeError(`restartInterval must be a positive integer, got ${restartInterval}`);
    this.#restartInterval = restartInterval;
  }

  /** Entries added since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** Bytes finish() would return now. */
  get estimatedSize(): number {
    return this.#len + (this.#count === 0 ? 0 : this.#restarts.length * RESTART_SIZE) + RESTART_SIZE;
  }

  /** The last key added (a view, valid until the next add or reset). */
  lastKey(): Uint8Array {
    return this.#last.subarray(0, this.#lastLen);
  }

  /** Appends `key[keyStart, keyEnd)` with `value`. */
  add(key: Uint8Array, value: Uint8Array, keyStart = 0, keyEnd = key.length): void {
    this.addRange(key, keyStart, keyEnd, value, 0, value.length);
  }

  /**
   * Appends key[keyStart, keyEnd) with value[valueStart, valueEnd), allocating
   * nothing; `valueView`, a DataView over exactly `value`, speeds the copy.
   */
  addRange(key: Uint8Array, keyStart: number, keyEnd: number, value: Uint8Array, valueStart: number, valueEnd: number, valueView?: DataView): void {
    const valueLen = valueEnd - valueStart;
    const keyLen = keyEnd - keyStart;
    let shared = 0;
    if (this.#sinceRestart === this.#restartInterval) {
      this.#restarts.push(this.#len);
      this.#sinceRestart = 0;
    } else if (this.#count > 0) {
      const n = keyLen < this.#lastLen ? keyLen : this.#lastLen;
      const last = this.#last;
      while (shared < n && last[shared] === key[keyStart + shared]) shared++;
    }
    const unshared = keyLen - shared;
    this.#reserve(15 + unshared + valueLen);
    this.#varint(shared);
    this.#varint(unshared);
    this.#varint(valueLen);
    // Keys are short: byte loops beat allocating subarray views on this path.
    const buf = this.#buf;
    let p = this.#len;
    for (let i = keyStart + shared; i < keyEnd; i++) buf[p++] = key[i] as number;
    if (valueView === undefined) copyBytes(buf, p, value, valueStart, valueLen);
    else copyBytesVia(buf, this.#view, p, value, valueView, valueStart, valueLen);
    this.#len = p + valueLen;

    if (this.#last.length < keyLen) {
      const next = new Uint8Array(Math.max(keyLen, this.#last.length * 2));
      next.set(this.#last.subarray(0, shared));
      this.#last = next;
    }
    const last = this.#last;
    for (let i = shared; i < keyLen; i++) last[i] = key[keyStart + i] as number;
    this.#lastLen = keyLen;
    this.#sinceRestart++;
    this.#count++;
  }

  /** The finished block (a fresh array). Call reset() before adding again. */
  finish(): Uint8Array {
    const restarts = this.#count === 0 ? [] : this.#restarts;
    const out = new Uint8Array(this.#len + (restarts.length + 1) * RESTART_SIZE);
    out.set(this.#buf.subarray(0, this.#len));
    const view = new DataView(out.buffer);
    let p = this.#len;
    for (const r of restarts) {
      view.setUint32(p, r, true);
      p += RESTART_SIZE;
    }
    view.setUint32(p, restarts.length, true);
    return out;
  }

  /** Empties the builder for the next block. */
  reset(): void {
    this.#len = 0;
    this.#restarts = [0];
    this.#sinceRestart = 0;
    this.#count = 0;
    this.#lastLen = 0;
  }

  #varint(x: number): void {
    const buf = this.#buf;
    while (x >= 0x80) {
      buf[this.#len++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[this.#len++] = x;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}
