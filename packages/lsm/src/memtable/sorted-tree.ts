// The memtable's ordered index: a two-level sorted structure (a B+-tree of
// height two) over arena refs (arena.ts). Refs sit in leaves of at most
// LEAF_MAX, each sorted; a top array lists the leaves in order. Leaves are
// plain arrays of numbers, so the garbage collector never traces an entry.
// Entries order by internal-key order: table key bytes ascending, then seq
// descending. Sequence numbers are unique, so (key, seq) is.
//
// Comparing against an entry means reading the arena at a random place, a
// cache miss per step of a binary search. So each entry also has a *head*
// kept beside its ref: the 6 table-key bytes after the prefix every key in
// the tree shares (zero-padded), as a number. Heads order like keys, so most
// steps compare two numbers and never touch the arena; only equal heads
// fall back to the full comparison. The shared prefix is tracked as keys
// arrive (it can only shrink; when it does the heads are recomputed), so
// keys like db_bench's zero-padded decimals still get informative heads.
//
// Cursors identify an entry by its ref and re-find it by (key, seq) after the
// tree changed shape (checked with a modification counter), so they stay
// valid across inserts. Single-threaded.

import { seqAt, TRAILER_SIZE } from '../keys/internal-key.js';
import { chunkOf, ENTRY_HEADER_SIZE, offsetOf, u32At } from './arena.js';

const LEAF_MAX = 128;
const HEAD_BYTES = 6;

/** Bytes [start, start + 6) of b[.., end), big-endian, zero-padded: a number below 2^48. */
function headOf(b: Uint8Array, start: number, end: number): number {
  if (start + HEAD_BYTES <= end) {
    return (
      ((b[start] as number) * 0x100 + (b[start + 1] as number)) * 0x1_0000_0000 +
      ((((b[start + 2] as number) << 24) | ((b[start + 3] as number) << 16) | ((b[start + 4] as number) << 8) | (b[start + 5] as number)) >>> 0)
    );
  }
  let h = 0;
  for (let i = 0; i < HEAD_BYTES; i++) h = h * 256 + (start + i < end ? (b[start + i] as number) : 0);
  return h;
}

export class SortedTree {
  /** The refs, leaf by leaf. */
  readonly #leaves: number[][] = [[]];
  /** The heads, parallel to #leaves. */
  readonly #heads: number[][] = [[]];
  /** The head of each leaf's first entry (leaf 0's is unused). */
  readonly #firstHeads: number[] = [0];
  readonly #chunks: readonly Uint8Array[];
  /** A copy of the first key inserted; its first #prefixLen bytes are shared by every key. */
  #prefix: Uint8Array | undefined;
  #prefixLen = 0;
  #count = 0;
  /** Bumped whenever entries move between leaves or positions. */
  modCount = 0;

  /** A tree over entries in `chunks` (the arena's, which may grow). */
  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = chunks;
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Internal-key order of the probe (table key k[ks, ke), seq) against entry
   * `ref`: negative if the probe sorts first.
   */
  compare(k: Uint8Array, ks: number, ke: number, seq: number, ref: number): number {
    const c = chunkOf(this.#chunks, ref);
    const o = offsetOf(ref);
    const b = o + ENTRY_HEADER_SIZE;
    const lb = u32At(c, o) - TRAILER_SIZE;
    const la = ke - ks;
    const n = la < lb ? la : lb;
    for (let i = 0; i < n; i++) {
      const d = (k[ks + i] as number) - (c[b + i] as number);
      if (d !== 0) return d;
    }
    if (la !== lb) return la - lb;
    return seqAt(c, b + lb) - seq;
  }

  /**
   * The probe's head, or -1 if the probe sorts before every entry (its
   * prefix is lower than the shared one) and Infinity if after every entry.
   */
  #probeHead(k: Uint8Array, ks: number, ke: number): number {
    const prefix = this.#prefix;
    if (prefix === undefined) return 0;
    const p = this.#prefixLen;
    const la = ke - ks;
    const n = la < p ? la : p;
    for (let i = 0; i < n; i++) {
      const d = (k[ks + i] as number) - (prefix[i] as number);
      if (d !== 0) return d < 0 ? -1 : Infinity;
    }
    // A probe that is a proper prefix of the shared prefix sorts first.
    if (la < p) return -1;
    return headOf(k, ks + p, ke);
  }

  /** Index of the leaf that should hold the probe. */
  #leafFor(k: Uint8Array, ks: number, ke: number, seq: number, h: number): number {
    const leaves = this.#leaves;
    const firstHeads = this.#firstHeads;
    let lo = 1;
    let hi = leaves.length;
    // Last leaf whose first entry is <= the probe.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const fh = firstHeads[mid] as number;
      const ge = fh !== h ? h > fh : this.compare(k, ks, ke, seq, (leaves[mid] as number[])[0] as number) >= 0;
      if (ge) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Position in leaf `li` of the first entry >= the probe. */
  #lowerBound(li: number, k: Uint8Array, ks: number, ke: number, seq: number, h: number): number {
    const leaf = this.#leaves[li] as number[];
    const heads = this.#heads[li] as number[];
    let lo = 0;
    let hi = leaf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const hm = heads[mid] as number;
      const after = hm !== h ? h > hm : this.compare(k, ks, ke, seq, leaf[mid] as number) > 0;
      if (after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Narrows the shared prefix to what the key c[ks, ke) shares with it, recomputing heads if it shrank. */
  #notePrefix(c: Uint8Array, ks: number, ke: number): void {
    const prefix = this.#prefix;
    if (prefix === undefined) {
      this.#prefix = c.slice(ks, ke);
      this.#prefixLen = ke - ks;
      return;
    }
    const p = this.#prefixLen;
    const la = ke - ks;
    const n = la < p ? la : p;
    let i = 0;
    while (i < n && c[ks + i] === prefix[i]) i++;
    if (i === p) return;
    this.#prefixLen = i;
    this.#recomputeHeads();
  }

  #recomputeHeads(): void {
    const p = this.#prefixLen;
    for (let li = 0; li < this.#leaves.length; li++) {
      const leaf = this.#leaves[li] as number[];
      const heads = this.#heads[li] as number[];
      for (let j = 0; j < leaf.length; j++) heads[j] = this.#entryHead(leaf[j] as number, p);
      this.#firstHeads[li] = heads[0] ?? 0;
    }
  }

  #entryHead(ref: number, p: number): number {
    const c = chunkOf(this.#chunks, ref);
    const o = offsetOf(ref);
    const ks = o + ENTRY_HEADER_SIZE;
    return headOf(c, ks + p, ks + u32At(c, o) - TRAILER_SIZE);
  }

  /** Inserts entry `ref`, whose table key is c[ks, ke) of its chunk and whose seq is `seq`. */
  insert(ref: number, c: Uint8Array, ks: number, ke: number, seq: number): void {
    this.#notePrefix(c, ks, ke);
    const h = headOf(c, ks + this.#prefixLen, ke);
    const li = this.#leafFor(c, ks, ke, seq, h);
    const leaf = this.#leaves[li] as number[];
    const heads = this.#heads[li] as number[];
    const pos = this.#lowerBound(li, c, ks, ke, seq, h);
    // Shift by hand: splice() allocates its result and is several times slower for leaves this small.
    for (let i = leaf.length; i > pos; i--) {
      leaf[i] = leaf[i - 1] as number;
      heads[i] = heads[i - 1] as number;
    }
    leaf[pos] = ref;
    heads[pos] = h;
    if (pos === 0) this.#firstHeads[li] = h;
    this.#count++;
    this.modCount++;
    if (leaf.length > LEAF_MAX) {
      const right = leaf.splice(LEAF_MAX >>> 1);
      const rightHeads = heads.splice(LEAF_MAX >>> 1);
      this.#leaves.splice(li + 1, 0, right);
      this.#heads.splice(li + 1, 0, rightHeads);
      this.#firstHeads.splice(li + 1, 0, rightHeads[0] as number);
    }
  }

  /** Leaf and position of the first entry >= the probe (position may be past the leaf's end). */
  #locate(k: Uint8Array, ks: number, ke: number, seq: number): { li: number; pos: number } {
    const h = this.#probeHead(k, ks, ke);
    if (h < 0) return { li: 0, pos: 0 };
    const last = this.#leaves.length - 1;
    if (h === Infinity) return { li: last, pos: (this.#leaves[last] as number[]).length };
    const li = this.#leafFor(k, ks, ke, seq, h);
    return { li, pos: this.#lowerBound(li, k, ks, ke, seq, h) };
  }

  /** The first entry >= the probe (table key k[ks, ke), seq), or -1. */
  findGE(k: Uint8Array, ks: number, ke: number, seq: number): number {
    const { li, pos } = this.#locate(k, ks, ke, seq);
    const leaf = this.#leaves[li] as number[];
    return pos < leaf.length ? (leaf[pos] as number) : (this.#leaves[li + 1]?.[0] ?? -1);
  }

  /** A cursor over the entries. */
  cursor(): TreeCursor {
    return new TreeCursor(this.#leaves, this, this.#chunks);
  }

  /** Positions `c` at the first entry >= the probe. */
  seekGE(c: TreeCursor, k: Uint8Array, ks: number, ke: number, seq: number): void {
    const { li, pos } = this.#locate(k, ks, ke, seq);
    c.mod = this.modCount;
    c.leaf = li;
    c.index = pos;
    c.fix();
  }

  /** Every ref in order. */
  sortedRefs(): Float64Array {
    const out = new Float64Array(this.#count);
    let n = 0;
    for (const leaf of this.#leaves) for (const r of leaf) out[n++] = r;
    return out;
  }
}

/**
 * A position in a SortedTree: (leaf, index). When the tree changes shape the
 * cursor re-finds its entry by key before moving (see the header).
 */
export class TreeCursor {
  readonly leaves: readonly number[][];
  readonly #tree: SortedTree;
  readonly #chunks: readonly Uint8Array[];
  mod: number;
  leaf = 0;
  index = 0;
  /** The ref under the cursor, or -1 when off either end. */
  ref = -1;

  constructor(leaves: readonly number[][], tree: SortedTree, chunks: readonly Uint8Array[]) {
    this.leaves = leaves;
    this.#tree = tree;
    this.#chunks = chunks;
    this.mod = tree.modCount;
  }

  /** After positioning: move past the end of a leaf to the next one, and load the ref. */
  fix(): void {
    const leaves = this.leaves;
    if (this.index >= (leaves[this.leaf] as number[]).length) {
      this.leaf++;
      this.index = 0;
    }
    this.ref = leaves[this.leaf]?.[this.index] ?? -1;
  }

  #revalidate(): void {
    if (this.mod === this.#tree.modCount) return;
    const ref = this.ref;
    const c = chunkOf(this.#chunks, ref);
    const o = offsetOf(ref);
    const ks = o + ENTRY_HEADER_SIZE;
    const ke = ks + u32At(c, o) - TRAILER_SIZE;
    this.#tree.seekGE(this, c, ks, ke, seqAt(c, ke));
  }

  first(): void {
    this.mod = this.#tree.modCount;
    this.leaf = 0;
    this.index = 0;
    this.fix();
  }

  last(): void {
    this.mod = this.#tree.modCount;
    this.leaf = this.leaves.length - 1;
    this.index = (this.leaves[this.leaf] as number[]).length - 1;
    this.ref = this.index >= 0 ? (this.leaves[this.leaf]?.[this.index] ?? -1) : -1;
  }

  next(): void {
    this.#revalidate();
    this.index++;
    this.fix();
  }

  prev(): void {
    this.#revalidate();
    if (this.index > 0) {
      this.index--;
    } else {
      // Skip back over empty leaves (only the first leaf can be empty).
      do {
        this.leaf--;
      } while (this.leaf >= 0 && (this.leaves[this.leaf] as number[]).length === 0);
      if (this.leaf < 0) {
        this.ref = -1;
        return;
      }
      this.index = (this.leaves[this.leaf] as number[]).length - 1;
    }
    this.ref = this.leaves[this.leaf]?.[this.index] ?? -1;
  }
}
