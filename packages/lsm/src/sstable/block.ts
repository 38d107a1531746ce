// A decoded block (docs/format/sstable.md, "Blocks"): parsed once into flat
// offset arrays with every key expanded, so seeks binary-search all entries
// (comparing 4-byte key heads as integers first) and iteration does no varint
// work. Decoding checks every bound, restart and the key order and throws
// Corruption, so a block written wrong is never misread. Immutable after
// decoding: cached blocks are shared by every reader.

import { Corruption } from '@strata/engine';
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

export class Block {
  /** Number of entries. */
  readonly count: number;
  /** Every key, expanded, back to back. Key i is keys[keyOffsets[i], keyOffsets[i + 1]). */
  readonly keys: Uint8Array;
  readonly keyOffsets: Uint32Array;
  /** The payload; value i is data[valueStarts[i], valueEnds[i]). */
  readonly data: Uint8Array;
  readonly valueStarts: Uint32Array;
  readonly valueEnds: Uint32Array;
  /** Approximate memory held, for the block cache. */
  readonly charge: number;
  /** Length of the table-key prefix every key shares (the first key holds it). */
  readonly #prefixLen: number;
  /** Key i's table-key bytes [prefixLen, prefixLen + 4), big-endian, zero-padded: a coarsening of key order. */
  readonly #heads: Uint32Array;

  constructor(count: number, keys: Uint8Array, keyOffsets: Uint32Array, data: Uint8Array, valueStarts: Uint32Array, valueEnds: Uint32Array) {
    this.count = count;
    this.keys = keys;
    this.keyOffsets = keyOffsets;
    this.data = data;
    this.valueStarts = valueStarts;
    this.valueEnds = valueEnds;
    let prefixLen = 0;
    if (count > 0) {
      const fe = (keyOffsets[1] as number) - TRAILER_SIZE;
      const ls = keyOffsets[count - 1] as number;
      const n = Math.min(fe, (keyOffsets[count] as number) - TRAILER_SIZE - ls);
      while (prefixLen < n && keys[prefixLen] === keys[ls + prefixLen]) prefixLen++;
    }
    this.#prefixLen = prefixLen;
    this.#heads = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.#heads[i] = headOf(keys, (keyOffsets[i] as number) + prefixLen, (keyOffsets[i + 1] as number) - TRAILER_SIZE);
    this.charge = BLOCK_OVERHEAD + keys.length + data.length + 4 * (keyOffsets.length + valueStarts.length + valueEnds.length + count);
  }

  /** Key i (a view). */
  key(i: number): Uint8Array {
    return this.keys.subarray(this.keyOffsets[i], this.keyOffsets[i + 1]);
  }

  /** Value i (a view). */
  value(i: number): Uint8Array {
    return this.data.subarray(this.valueStarts[i], this.valueEnds[i]);
  }

  /** Internal-key order of key i against `ikey`. */
  compareAt(i: number, ikey: Uint8Array): number {
    return compareInternalAt(this.keys, this.keyOffsets[i] as number, this.keyOffsets[i + 1] as number, ikey, 0, ikey.length);
  }

  /** True if key i has table key `tkey`. */
  hasTableKey(i: number, tkey: Uint8Array): boolean {
    const s = this.keyOffsets[i] as number;
    const e = (this.keyOffsets[i + 1] as number) - TRAILER_SIZE;
    return compareRange(this.keys, s, e, tkey, 0, tkey.length) === 0;
  }

  /** The first index whose key is >= `ikey`, or count. */
  lowerBound(ikey: Uint8Array): number {
    return this.#search(ikey, false);
  }

  /** The first index whose key is > `ikey`, or count. */
  upperBound(ikey: Uint8Array): number {
    return this.#search(ikey, true);
  }

  /** Binary search for the first key > ikey (`after`) or >= ikey. */
  #search(ikey: Uint8Array, after: boolean): number {
    const count = this.count;
    if (count === 0) return 0;
    const tkeyEnd = ikey.length - TRAILER_SIZE;
    const p = this.#prefixLen;
    // Against the shared prefix, the probe may sort before or after every key at once.
    const c = compareRange(ikey, 0, tkeyEnd < p ? tkeyEnd : p, this.keys, 0, p);
    if (c !== 0) return c < 0 ? 0 : count;
    const h = headOf(ikey, p, tkeyEnd);
    const heads = this.#heads;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const hm = heads[mid] as number;
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
 * internal keys in strictly increasing order; values are views into `payload`.
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
    count++;
  }
  if (r !== nRestarts) fail(`restart ${r} at ${nextRestart} is not an entry start`);
  if (count > 0 && nRestarts === 0) fail('entries without restart points');

  // Pass 2: expand keys, record offsets, check order and kinds.
  const keys = new Uint8Array(keyBytes);
  const keyOffsets = new Uint32Array(count + 1);
  const valueStarts = new Uint32Array(count);
  const valueEnds = new Uint32Array(count);
  pos = 0;
  let k = 0;
  let prevStart = 0;
  for (let i = 0; i < count; i++) {
    const start = pos;
    const shared = varint();
    const unshared = varint();
    const valueLen = varint();
    keys.copyWithin(k, prevStart, prevStart + shared);
    keys.set(payload.subarray(pos, pos + unshared), k + shared);
    pos += unshared;
    const end = k + shared + unshared;
    keyOffsets[i + 1] = end;
    valueStarts[i] = pos;
    pos += valueLen;
    valueEnds[i] = pos;
    if (!isKind(keys[end - 1] as number)) fail(`entry at payload byte ${start} has unknown kind ${keys[end - 1]}`);
    if (i > 0 && compareInternalAt(keys, prevStart, k, keys, k, end) >= 0) fail(`entry at payload byte ${start} is not after its predecessor`);
    prevStart = k;
    k = end;
  }
  return new Block(count, keys, keyOffsets, payload, valueStarts, valueEnds);
}
