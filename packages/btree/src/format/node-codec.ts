// Branch and leaf pages (docs/format/btree.md, "Node pages"): the header, a
// u16 slot per entry giving the entry's offset, then the entries back to
// back. Leaf entry: flags u8, varint key length, varint value length, key,
// then the value or a 16-byte overflow reference. Branch entry: varint key
// length, key, child pgid u32, child txid u64. Sizes here are exact, so the
// writer splits nodes before they can overflow a page.

import { compareBytes, Corruption, putVarint, varintSize } from '@strata/engine';
import { CHILD_REF_SIZE, LEAF_OVERFLOW, OVERFLOW_REF_SIZE, PAGE_HEADER_SIZE, PageType, SLOT_SIZE } from './format.js';
import { getU64, setU64, writeHeader, type PageHeader } from './page.js';
import { Node, Overflow, type Val } from '../tree/node.js';

export function leafEntrySize(key: Uint8Array, val: Val): number {
  const vlen = val instanceof Overflow ? val.length : val.length;
  return 1 + varintSize(key.length) + varintSize(vlen) + key.length + (val instanceof Overflow ? OVERFLOW_REF_SIZE : vlen);
}

export function branchEntrySize(key: Uint8Array): number {
  return varintSize(key.length) + key.length + CHILD_REF_SIZE;
}

/** The entries of a node being written. */
export interface NodeEntries {
  readonly leaf: boolean;
  readonly keys: readonly Uint8Array[];
  readonly vals: readonly Val[];
  readonly kids: readonly number[];
  readonly gens: readonly number[];
}

/** Bytes entry i takes in its page, slot included. */
export function entrySize(n: NodeEntries, i: number): number {
  const key = n.keys[i] as Uint8Array;
  return SLOT_SIZE + (n.leaf ? leafEntrySize(key, n.vals[i] as Val) : branchEntrySize(key));
}

/** Copies `src` into `dst` at `at`: a plain loop for short arrays, where TypedArray.set's fixed cost dominates. */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array): void {
  const n = src.length;
  if (n > 32) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i] as number;
}

/**
 * Encodes entries [from, to) of `n` as page `pgid` into `page` (zeroed, one
 * page long, checksum not yet sealed) and returns the node as a reader would
 * decode it: keys and inline values are views of `page`.
 */
export function encodeNode(page: Uint8Array, n: NodeEntries, from: number, to: number, pgid: number, txid: number): Node {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const buf = page.buffer;
  const base = page.byteOffset;
  const count = to - from;
  const header: PageHeader = { type: n.leaf ? PageType.Leaf : PageType.Branch, flags: 0, count, pgid, span: 1, txid };
  writeHeader(view, header);
  const keys: Uint8Array[] = new Array<Uint8Array>(count);
  const vals: Val[] = n.leaf ? new Array<Val>(count) : [];
  let at = PAGE_HEADER_SIZE + SLOT_SIZE * count;
  for (let i = from; i < to; i++) {
    view.setUint16(PAGE_HEADER_SIZE + SLOT_SIZE * (i - from), at, true);
    const key = n.keys[i] as Uint8Array;
    if (n.leaf) {
      const val = n.vals[i] as Val;
      const overflow = val instanceof Overflow;
      page[at++] = overflow ? LEAF_OVERFLOW : 0;
      at = putVarint(page, at, key.length);
      at = putVarint(page, at, val.length);
    } else {
      at = putVarint(page, at, key.length);
    }
    if (at + key.length > page.length) throw new RangeError(`node does not fit a ${page.length}-byte page`);
    copyInto(page, at, key);
    keys[i - from] = new Uint8Array(buf, base + at, key.length);
    at += key.length;
    if (n.leaf) {
      const val = n.vals[i] as Val;
      if (val instanceof Overflow) {
        view.setUint32(at, val.pgid, true);
        view.setUint32(at + 4, val.span, true);
        setU64(view, at + 8, val.txid);
        vals[i - from] = val;
        at += OVERFLOW_REF_SIZE;
      } else {
        copyInto(page, at, val);
        vals[i - from] = new Uint8Array(buf, base + at, val.length);
        at += val.length;
      }
    } else {
      view.setUint32(at, n.kids[i] as number, true);
      setU64(view, at + 4, n.gens[i] as number);
      at += CHILD_REF_SIZE;
    }
  }
  if (at > page.length) throw new RangeError(`node of ${at} bytes does not fit a ${page.length}-byte page`);
  return new Node(pgid, txid, n.leaf, keys, vals, n.leaf ? [] : n.kids.slice(from, to), n.leaf ? [] : n.gens.slice(from, to));
}

/**
 * Decodes a verified branch or leaf page. Every bound is checked, and keys
 * must be strictly increasing; a violation is Corruption at `offset`.
 */
export function decodeNode(page: Uint8Array, header: PageHeader, file: string, offset: number, pageSize: number): Node {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `page ${header.pgid}: ${detail}`);
  };
  const leaf = header.type === PageType.Leaf;
  const count = header.count;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const buf = page.buffer;
  const base = page.byteOffset;
  const end = page.length;
  if (PAGE_HEADER_SIZE + SLOT_SIZE * count > end) fail(`${count} slots do not fit`);
  const keys: Uint8Array[] = new Array<Uint8Array>(count);
  const vals: Val[] = leaf ? new Array<Val>(count) : [];
  const kids: number[] = leaf ? [] : new Array<number>(count);
  const gens: number[] = leaf ? [] : new Array<number>(count);
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= end) fail('varint runs past the page');
      const b = page[pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    return fail('varint too long');
  };
  for (let i = 0; i < count; i++) {
    pos = view.getUint16(PAGE_HEADER_SIZE + SLOT_SIZE * i, true);
    if (pos < PAGE_HEADER_SIZE + SLOT_SIZE * count) fail(`entry ${i} starts inside the header`);
    if (leaf) {
      if (pos >= end) fail(`entry ${i} starts past the page`);
      const flags = page[pos++] as number;
      if ((flags & ~LEAF_OVERFLOW) !== 0) fail(`entry ${i} has unknown flags ${flags}`);
      const klen = varint();
      const vlen = varint();
      if (pos + klen > end) fail(`entry ${i}: key runs past the page`);
      const key = new Uint8Array(buf, base + pos, klen);
      pos += klen;
      if ((flags & LEAF_OVERFLOW) !== 0) {
        if (pos + OVERFLOW_REF_SIZE > end) fail(`entry ${i}: overflow reference runs past the page`);
        const opg = view.getUint32(pos, true);
        const span = view.getUint32(pos + 4, true);
        const txid = getU64(view, pos + 8);
        if (span < 1 || span * pageSize < PAGE_HEADER_SIZE + vlen) fail(`entry ${i}: overflow span ${span} cannot hold ${vlen} bytes`);
        vals[i] = new Overflow(opg, span, txid, vlen);
      } else {
        if (pos + vlen > end) fail(`entry ${i}: value runs past the page`);
        vals[i] = new Uint8Array(buf, base + pos, vlen);
      }
      keys[i] = key;
    } else {
      const klen = varint();
      if (pos + klen + CHILD_REF_SIZE > end) fail(`entry ${i} runs past the page`);
      keys[i] = new Uint8Array(buf, base + pos, klen);
      pos += klen;
      kids[i] = view.getUint32(pos, true);
      gens[i] = getU64(view, pos + 4);
      if ((gens[i] as number) > header.txid) fail(`child ${i} has txid ${gens[i]}, newer than its parent's ${header.txid}`);
    }
    if (i > 0 && compareBytes(keys[i - 1] as Uint8Array, keys[i] as Uint8Array) >= 0) fail(`keys ${i - 1} and ${i} are out of order`);
  }
  if (!leaf && count === 0) fail('branch with no children');
  return new Node(header.pgid, header.txid, leaf, keys, vals, kids, gens);
}
