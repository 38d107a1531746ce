// A decoded block (docs/format/sstable.md, "Blocks"): parsed once into one
// buffer of entry metadata, expanded keys and values, so seeks binary-search all entries
// (comparing 4-byte key heads as integers first) and iteration does no varint
// work. Decoding checks every bound, restart and the key order and throws
// Corruption, so a block written wrong is never misread. Immutable after
// decoding: cached blocks are shared by every reader.

import { copyBytes, Corruption } from '@strata/engine';
import { compareRange, isKind, TABLE_ID_SIZE, TRAILER_SIZE } from '../keys/internal-key.js';
import { RESTART_SIZE } from './format.js';

/** Shortest key a block may hold: an internal key with a table id and a trailer. */
const MIN_KEY_SIZE = TABLE_ID_SIZE + TRAILER_SIZE;
/** Bookkeeping bytes charged per block on top of its arrays. */
const BLOCK_OVERHEAD = 128;

/** Internal-key order of a[as, ae) and b[bs, be): table key ascending, then trailer descending. */
export function compareInternalAt(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const c = compareRange(a, as, ae - TRAILER_SIZE, b, bs, be - TRAILER_SIZE);
  if (c !== 0) return c;
  return compareRange(b, be - TRAILER_SIZE, be, a, ae - TRAILER_SIZE, ae);
}

/** u32 words per entry after the heads: key start, value start, value end. */
const ENTRY_WORDS = 3;

/** Words of metadata for `count` entries: the heads, then ENTRY_WORDS per entry plus one for the end of the keys. */
function metaWords(count: number): number {
  return count + ENTRY_WORDS * (count + 1);
}

/**
 * A decoded block in one allocation: a Uint32Array of per-entry metadata and,
 * after it in the same buffer, every key expanded back to back, then every
 * value. A lookup touches a few cache lines of one buffer rather than six
 * arrays (on 1M-key random gets most of the cost was cache misses).
 */
export class Block {
  /** Number of entries. */
  readonly count: number;
  /**
   * Words [0, count) hold the heads (see #search), contiguous so a search's
   * last steps share cache lines; then entry i's words at count + 3i: key
   * start, value start, value end (offsets into `bytes`). Entry `count` holds
   * only the key start: the end of the last key.
   */
  readonly meta: Uint32Array;
  /** The whole buffer as bytes: keys and values live here. */
  readonly bytes: Uint8Array;
  /** A DataView over `bytes` (copyOut copies values through it). */
  readonly view: DataView;
  /** Approximate memory held, for the block cache. */
  readonly charge: number;
  /** Length of the table-key prefix every key shares (the first key holds it). */
  readonly #prefixLen: number;

  /** Takes `bytes`, whose buffer starts with `meta` filled in except for the heads. */
  constructor(count: number, meta: Uint32Array, bytes: Uint8Array) {
    this.count = count;
    this.meta = meta;
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let prefixLen = 0;
    if (count > 0) {
      const fs = this.keyStart(0);
      const fe = this.keyStart(1) - TRAILER_SIZE;
      const ls = this.keyStart(count - 1);
      const n = Math.min(fe - fs, this.keyStart(count) - TRAILER_SIZE - ls);
      while (prefixLen < n && bytes[fs + prefixLen] === bytes[ls + prefixLen]) prefixLen++;
    }
    this.#prefixLen = prefixLen;
    for (let i = 0; i < count; i++) meta[i] = headOf(bytes, this.keyStart(i) + prefixLen, this.keyStart(i + 1) - TRAILER_SIZE);
    this.charge = BLOCK_OVERHEAD + bytes.byteLength;
  }

  /** Offset in `bytes` where key i starts (i <= count: key count's start is the end of the last key). */
  keyStart(i: number): number {
    return this.meta[this.count + ENTRY_WORDS * i] as number;
  }

  /** Key i (a view). */
  key(i: number): Uint8Array {
    const m = this.count + ENTRY_WORDS * i;
    return this.bytes.subarray(this.meta[m], this.meta[m + ENTRY_WORDS]);
  }

  /** Value i (a view). */
  value(i: number): Uint8Array {
    const m = this.count + ENTRY_WORDS * i;
    return this.bytes.subarray(this.meta[m + 1], this.meta[m + 2]);
  }

  /** Value i's bounds in `bytes`: [valueStart(i), valueEnd(i)). */
  valueStart(i: number): number {
    return this.meta[this.count + ENTRY_WORDS * i + 1] as number;
  }

  valueEnd(i: number): number {
    return this.meta[this.count + ENTRY_WORDS * i + 2] as number;
  }

  /** Internal-key order of key i against `ikey`. */
  compareAt(i: number, ikey: Uint8Array): number {
    const m = this.count + ENTRY_WORDS * i;
    return compareInternalAt(this.bytes, this.meta[m] as number, this.meta[m + ENTRY_WORDS] as number, ikey, 0, ikey.length);
  }

  /** True if key i has table key `tkey`. */
  hasTableKey(i: number, tkey: Uint8Array): boolean {
    const m = this.count + ENTRY_WORDS * i;
    return compareRange(this.bytes, this.meta[m] as number, (this.meta[m + ENTRY_WORDS] as number) - TRAILER_SIZE, tkey, 0, tkey.length) === 0;
  }

  /** The first index whose key is >= `ikey`, or count. */
  lowerBound(ikey: Uint8Array): number {
    return this.#search(ikey, false);
  }

  /** The first index whose key is > `ikey`, or count. */
  upperBound(ikey: Uint8Array): number {
    return this.#search(ikey, true);
  }

  /**
   * Binary search for the first key > ikey (`after`) or >= ikey. Heads (the 4
   * table-key bytes after the shared prefix, big-endian, zero-padded) are a
   * coarsening of key order, so most steps compare two integers.
   */
  #search(ikey: Uint8Array, after: boolean): number {
    const count = this.count;
    if (count === 0) return 0;
    const tkeyEnd = ikey.length - TRAILER_SIZE;
    const p = this.#prefixLen;
    const meta = this.meta;
    // Against the shared prefix, the probe may sort before or after every key at once.
    const fs = meta[count] as number;
    const c = compareRange(ikey, 0, tkeyEnd < p ? tkeyEnd : p, this.bytes, fs, fs + p);
    if (c !== 0) return c < 0 ? 0 : count;
    const h = headOf(ikey, p, tkeyEnd);
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const hm = meta[mid] as number;
      let below: boolean;
      if (hm !== h) below = hm < h;
      else {
        const d = this.compareAt(mid, ikey);
        below = after ? d <= 0 : d < 0;
      }
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Bytes [start, start + 4) of b, big-endian, zero past `end`. */
function headOf(b: Uint8Array, start: number, end: number): number {
  if (start + 4 <= end) return (((b[start] as number) << 24) | ((b[start + 1] as number) << 16) | ((b[start + 2] as number) << 8) | (b[start + 3] as number)) >>> 0;
  let h = 0;
  for (let i = 0; i < 4; i++) h = h * 256 + (start + i < end ? (b[start + i] as number) : 0);
  return h;
}

/** Where a block came from, for Corruption reports. */
export interface BlockOrigin {
  readonly file: string;
  readonly offset: number;
}

/**
 * Decodes a block payload (trailer already checked and removed). Keys must be
 * internal keys in strictly increasing order. The block copies what it keeps:
 * `payload` may be reused once this returns.
 */
export function decodeBlock(payload: Uint8Array, origin: BlockOrigin): Block {
  const fail = (detail: string): never => {
    throw new Corruption(origin.file, origin.offset, `block: ${detail}`);
  };
  const len = payload.length;
  if (len < RESTART_SIZE) fail(`payload of ${len} bytes has no restart count`);
  const view = new DataView(payload.buffer, payload.byteOffset, len);
  const nRestarts = view.getUint32(len - RESTART_SIZE, true);
  if (nRestarts > (len - RESTART_SIZE) / RESTART_SIZE) fail(`restart count ${nRestarts} does not fit in ${len} bytes`);
  const dataEnd = len - RESTART_SIZE * (nRestarts + 1);

  // Pass 1: walk the entries, checking bounds and restarts; count entries and expanded key bytes.
  let count = 0;
  let keyBytes = 0;
  let valueBytes = 0;
  let prevKeyLen = 0;
  let r = 0;
  let nextRestart = nRestarts > 0 ? view.getUint32(dataEnd, true) : -1;
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= dataEnd) fail(`varint runs past the entries at payload byte ${pos}`);
      const b = payload[pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return fail(`varint too long at payload byte ${pos}`);
  };
  while (pos < dataEnd) {
    const start = pos;
    const shared = varint();
    const unshared = varint();
    const valueLen = varint();
    if (start === nextRestart) {
      if (shared !== 0) fail(`entry at restart ${r} shares ${shared} bytes`);
      r++;
      if (r < nRestarts) {
        const next = view.getUint32(dataEnd + r * RESTART_SIZE, true);
        if (next <= start) fail(`restart ${r} at ${next} is not after ${start}`);
        nextRestart = next;
      } else {
        nextRestart = -1;
      }
    } else if (start > nextRestart && nextRestart >= 0) {
      fail(`restart ${r} at ${nextRestart} is not an entry start`);
    } else if (count === 0) {
      fail('first entry is not a restart point');
    }
    if (shared > prevKeyLen) fail(`entry at payload byte ${start} shares ${shared} of ${prevKeyLen} key bytes`);
    if (unshared + valueLen > dataEnd - pos) fail(`entry at payload byte ${start} runs past the entries`);
    pos += unshared + valueLen;
    prevKeyLen = shared + unshared;
    if (prevKeyLen < MIN_KEY_SIZE) fail(`key of ${prevKeyLen} bytes at payload byte ${start} is shorter than an internal key`);
    keyBytes += prevKeyLen;
    valueBytes += valueLen;
    count++;
  }
  if (r !== nRestarts) fail(`restart ${r} at ${nextRestart} is not an entry start`);
  if (count > 0 && nRestarts === 0) fail('entries without restart points');

  // Pass 2: one buffer of metadata, expanded keys and values; check order and kinds.
  const metaBytes = 4 * metaWords(count);
  const buf = new ArrayBuffer(metaBytes + keyBytes + valueBytes);
  const meta = new Uint32Array(buf, 0, metaWords(count));
  const bytes = new Uint8Array(buf);
  let v = metaBytes + keyBytes;
  pos = 0;
  let k = metaBytes;
  let prevStart = metaBytes;
  for (let i = 0; i < count; i++) {
    const start = pos;
    const shared = varint();
    const unshared = varint();
    const valueLen = varint();
    bytes.copyWithin(k, prevStart, prevStart + shared);
    copyBytes(bytes, k + shared, payload, pos, unshared);
    pos += unshared;
    const end = k + shared + unshared;
    const m = count + ENTRY_WORDS * i;
    meta[m] = k;
    meta[m + 1] = v;
    copyBytes(bytes, v, payload, pos, valueLen);
    pos += valueLen;
    v += valueLen;
    meta[m + 2] = v;
    if (!isKind(bytes[end - 1] as number)) fail(`entry at payload byte ${start} has unknown kind ${bytes[end - 1]}`);
    if (i > 0 && compareInternalAt(bytes, prevStart, k, bytes, k, end) >= 0) fail(`entry at payload byte ${start} is not after its predecessor`);
    prevStart = k;
    k = end;
  }
  meta[count + ENTRY_WORDS * count] = k;
  return new Block(count, meta, bytes);
}
