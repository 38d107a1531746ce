// The memtable: every write lands here after the WAL, until the table fills
// (by bytes), turns immutable and is flushed to an L0 SSTable in the
// background. Point entries live in an arena of shared-memory chunks
// (arena.ts), indexed by a sorted two-level tree of refs (sorted-tree.ts;
// measured faster here than a skiplist, see docs/lsm.md); range tombstones in
// a list, fragmented lazily for reads.
//
// add() copies the key and value into the arena, so the caller keeps its
// buffers. Single-threaded; reads may interleave with adds between calls, and
// cursors stay valid across adds.

import type { InternalIterator } from '../iterator/internal-iterator.js';
import { type Kind, kindOf, MAX_SEQ, seqAt, seqOf, TABLE_ID_SIZE, TRAILER_SIZE, writeTrailer, type SeqNum } from '../keys/internal-key.js';
import { FragmentIndex } from '../range-del/fragment-index.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { copyBytes, copyBytesVia, copyOut } from '@strata/engine';
import { Arena, chunkOf, ENTRY_HEADER_SIZE, entryKey, entryValue, offsetOf, putU32, u32At } from './arena.js';
import { SortedTree, type TreeCursor } from './sorted-tree.js';

/** Bytes charged per entry beyond its arena bytes: its slot in a leaf, and leaf slack. */
const ENTRY_OVERHEAD = 16;

export interface MemEntry {
  readonly kind: Kind;
  readonly seq: SeqNum;
  /** The value, a fresh copy. */
  readonly value: Uint8Array;
}

/** A sealed memtable's point entries for a flush elsewhere: the arena chunks and the refs in order. */
export interface FrozenEntries {
  readonly chunks: readonly Uint8Array[];
  readonly refs: Float64Array;
}

export class Memtable {
  readonly #arena = new Arena();
  readonly #tree = new SortedTree(this.#arena.chunks);
  readonly #tombstones: RangeTombstone[] = [];
  #index: FragmentIndex | undefined = FragmentIndex.EMPTY;
  #bytes = 0;
  #smallestSeq = 0;
  #largestSeq = 0;
  /** Number of the WAL file holding this memtable's writes. */
  readonly walNumber: number;

  constructor(walNumber: number) {
    this.walNumber = walNumber;
  }

  /** Approximate memory charged, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#tree.count + this.#tombstones.length;
  }

  get empty(): boolean {
    return this.entries === 0;
  }

  get smallestSeq(): number {
    return this.#smallestSeq;
  }

  get largestSeq(): number {
    return this.#largestSeq;
  }

  #noteSeq(seq: number): void {
    if (this.#smallestSeq === 0 || seq < this.#smallestSeq) this.#smallestSeq = seq;
    if (seq > this.#largestSeq) this.#largestSeq = seq;
  }

  /** Adds a point entry for table key `tkey`. */
  add(seq: number, kind: Kind, tkey: Uint8Array, value: Uint8Array): void {
    const ref = this.#arena.alloc(ENTRY_HEADER_SIZE + tkey.length + TRAILER_SIZE + value.length);
    const c = chunkOf(this.#arena.chunks, ref);
    const o = offsetOf(ref);
    const ks = o + ENTRY_HEADER_SIZE;
    copyBytes(c, ks, tkey, 0, tkey.length);
    this.#finish(ref, c, o, tkey.length, seq, kind, value, 0, value.length);
  }

  /**
   * Adds a point entry whose user key is bytes[keyAt, keyAt + keyLen) of
   * table `tableId` and whose value is bytes[valueAt, valueAt + valueLen).
   * `view`, a DataView over exactly `bytes`, lets the value be copied
   * without a temporary view.
   */
  addFromBytes(seq: number, kind: Kind, tableId: number, bytes: Uint8Array, keyAt: number, keyLen: number, valueAt: number, valueLen: number, view?: DataView): void {
    const tlen = TABLE_ID_SIZE + keyLen;
    const ref = this.#arena.alloc(ENTRY_HEADER_SIZE + tlen + TRAILER_SIZE + valueLen);
    const c = chunkOf(this.#arena.chunks, ref);
    const o = offsetOf(ref);
    const ks = o + ENTRY_HEADER_SIZE;
    c[ks] = tableId >>> 8;
    c[ks + 1] = tableId & 0xff;
    copyBytes(c, ks + TABLE_ID_SIZE, bytes, keyAt, keyLen);
    this.#finish(ref, c, o, tlen, seq, kind, bytes, valueAt, valueLen, view);
  }

  /** Completes an entry whose table key (`tlen` bytes) is in place: header, trailer, value; then indexes it. */
  #finish(ref: number, c: Uint8Array, o: number, tlen: number, seq: number, kind: Kind, vb: Uint8Array, vs: number, vlen: number, vView?: DataView): void {
    const ks = o + ENTRY_HEADER_SIZE;
    const klen = tlen + TRAILER_SIZE;
    putU32(c, o, klen);
    putU32(c, o + 4, vlen);
    writeTrailer(c, ks + tlen, seq, kind);
    if (vView === undefined) copyBytes(c, ks + klen, vb, vs, vlen);
    else copyBytesVia(c, chunkOf(this.#arena.views, ref), ks + klen, vb, vView, vs, vlen);
    this.#tree.insert(ref, c, ks, ks + tlen, seq);
    this.#bytes += ENTRY_HEADER_SIZE + klen + vlen + ENTRY_OVERHEAD;
    this.#noteSeq(seq);
  }

  /** Adds a range tombstone over table keys [start, end). */
  addRangeTombstone(start: Uint8Array, end: Uint8Array, seq: number): void {
    this.#tombstones.push({ start, end, seq: seq as SeqNum });
    this.#index = undefined;
    this.#bytes += start.length + end.length + ENTRY_OVERHEAD;
    this.#noteSeq(seq);
  }

  /** The newest entry of `tkey` with seq <= readSeq. */
  get(tkey: Uint8Array, readSeq: number): MemEntry | undefined {
    const tree = this.#tree;
    if (tree.count === 0) return undefined;
    const ref = tree.findGE(tkey, 0, tkey.length, readSeq);
    if (ref < 0) return undefined;
    const c = chunkOf(this.#arena.chunks, ref);
    const o = offsetOf(ref);
    const ks = o + ENTRY_HEADER_SIZE;
    const klen = u32At(c, o);
    const tlen = klen - TRAILER_SIZE;
    if (tlen !== tkey.length) return undefined;
    for (let i = 0; i < tlen; i++) if (c[ks + i] !== tkey[i]) return undefined;
    const vs = ks + klen;
    return { kind: c[ks + klen - 1] as Kind, seq: seqAt(c, ks + tlen), value: copyOut(c, vs, vs + u32At(c, o + 4)) };
  }

  /** The point entries for a flush elsewhere (sealed memtables only: the chunks are shared, not copied). */
  frozen(): FrozenEntries {
    return { chunks: this.#arena.chunks.slice(), refs: this.#tree.sortedRefs() };
  }

  /** The range tombstones, fragmented for search. */
  tombstoneIndex(): FragmentIndex {
    this.#index ??= new FragmentIndex(this.#tombstones);
    return this.#index;
  }

  /** The raw range tombstones, in insertion order. */
  rangeTombstones(): readonly RangeTombstone[] {
    return this.#tombstones;
  }

  iterator(): InternalIterator {
    return new MemtableIterator(this.#tree, this.#arena.chunks);
  }
}

class MemtableIterator implements InternalIterator {
  readonly #tree: SortedTree;
  readonly #chunks: readonly Uint8Array[];
  readonly #c: TreeCursor;
  /** The entry whose key and value views are cached, and the views. */
  #at = -1;
  #key: Uint8Array = EMPTY;
  #value: Uint8Array = EMPTY;

  constructor(tree: SortedTree, chunks: readonly Uint8Array[]) {
    this.#tree = tree;
    this.#chunks = chunks;
    this.#c = tree.cursor();
  }

  get valid(): boolean {
    return this.#c.ref >= 0;
  }

  #load(): void {
    const ref = this.#c.ref;
    if (this.#at === ref) return;
    this.#at = ref;
    this.#key = entryKey(this.#chunks, ref);
    this.#value = entryValue(this.#chunks, ref);
  }

  key(): Uint8Array {
    this.#load();
    return this.#key;
  }

  value(): Uint8Array {
    this.#load();
    return this.#value;
  }

  seekToFirst(): void {
    this.#c.first();
  }

  seekToLast(): void {
    this.#c.last();
  }

  seek(ikey: Uint8Array): void {
    const n = ikey.length - TRAILER_SIZE;
    const seq = seqForSeek(ikey);
    this.#tree.seekGE(this.#c, ikey, 0, n, seq);
    // The tree orders by (key, seq); an entry with the probe's key and seq but a larger kind sorts before it.
    const ref = this.#c.ref;
    if (ref >= 0 && this.#tree.compare(ikey, 0, n, seq, ref) === 0 && this.#kindAt(ref) > kindOf(ikey)) this.#c.next();
  }

  seekForPrev(ikey: Uint8Array): void {
    const n = ikey.length - TRAILER_SIZE;
    const seq = seqForSeek(ikey);
    this.#tree.seekGE(this.#c, ikey, 0, n, seq);
    const ref = this.#c.ref;
    if (ref < 0) {
      this.#c.last();
    } else if (this.#tree.compare(ikey, 0, n, seq, ref) !== 0 || this.#kindAt(ref) < kindOf(ikey)) {
      this.#c.prev();
    }
  }

  #kindAt(ref: number): number {
    const k = entryKey(this.#chunks, ref);
    return k[k.length - 1] as number;
  }

  next(): void {
    this.#c.next();
  }

  prev(): void {
    this.#c.prev();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The seq to search with for a seek key. Entries of one table key differ in
 * seq, and a seek key (tkey, s, kind) sorts before every entry (tkey, s', _)
 * with s' < s and after those with s' > s; for s' == s the kind decides, and
 * seek keys carry KIND_MAX, the largest kind, so they sort first among them:
 * searching with seq s finds the same first entry.
 */
function seqForSeek(ikey: Uint8Array): number {
  return Math.min(seqOf(ikey), MAX_SEQ);
}
