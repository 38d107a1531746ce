// The memtable: every write lands here after the WAL, until the table fills
// (by bytes), turns immutable and is flushed to an L0 SSTable in the
// background. Point entries live in a sorted two-level tree keyed by
// internal key (sorted-tree.ts; measured faster here than a skiplist, see
// docs/lsm.md); range tombstones in a list, fragmented lazily for reads.
//
// Ownership: keys and values handed to add() become the memtable's; callers
// pass copies. Single-threaded; reads may interleave with adds between calls,
// and cursors stay valid across adds.

import type { InternalIterator } from '../iterator/internal-iterator.js';
import { internalKey, type Kind, kindOf, MAX_SEQ, seqOf, TABLE_ID_SIZE, TRAILER_SIZE, writeTrailer, type SeqNum } from '../keys/internal-key.js';
import { FragmentIndex } from '../range-del/fragment-index.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { compareEntry, latin1, SortedTree, type TreeCursor, type TreeEntry } from './sorted-tree.js';

/** Bytes charged per entry beyond its key and value: node, arrays and headers, measured roughly. */
const ENTRY_OVERHEAD = 96;

export interface MemEntry {
  readonly kind: Kind;
  readonly seq: SeqNum;
  readonly value: Uint8Array;
}

export class Memtable {
  readonly #tree = new SortedTree();
  readonly #tombstones: RangeTombstone[] = [];
  #index: FragmentIndex | undefined = FragmentIndex.EMPTY;
  #bytes = 0;
  /** Exact bytes of the internal keys and the values of the point entries. */
  #keyBytes = 0;
  #valueBytes = 0;
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

  /** Point entries and their exact key and value bytes (for packing them). */
  get pointSizes(): { readonly count: number; readonly keyBytes: number; readonly valueBytes: number } {
    return { count: this.#tree.count, keyBytes: this.#keyBytes, valueBytes: this.#valueBytes };
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
    this.#insert(internalKey(tkey, seq, kind), tkey.length, seq, value);
  }

  /**
   * Adds a point entry whose user key is bytes[keyAt, keyAt + keyLen) of
   * table `tableId`: builds the internal key in one allocation.
   */
  addFromBytes(seq: number, kind: Kind, tableId: number, bytes: Uint8Array, keyAt: number, keyLen: number, value: Uint8Array): void {
    const tlen = TABLE_ID_SIZE + keyLen;
    const ikey = new Uint8Array(tlen + TRAILER_SIZE);
    ikey[0] = tableId >>> 8;
    ikey[1] = tableId & 0xff;
    if (keyLen <= 32) {
      for (let i = 0; i < keyLen; i++) ikey[TABLE_ID_SIZE + i] = bytes[keyAt + i] as number;
    } else {
      ikey.set(bytes.subarray(keyAt, keyAt + keyLen), TABLE_ID_SIZE);
    }
    writeTrailer(ikey, tlen, seq, kind);
    this.#insert(ikey, tlen, seq, value);
  }

  /** Inserts the entry `ikey` (whose table key is its first `tlen` bytes) and charges it. */
  #insert(ikey: Uint8Array, tlen: number, seq: number, value: Uint8Array): void {
    this.#tree.insert({ skey: latin1(ikey, 0, tlen), seq, ikey, value });
    this.#keyBytes += ikey.length;
    this.#valueBytes += value.length;
    this.#bytes += ikey.length + value.length + ENTRY_OVERHEAD;
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
    if (this.#tree.count === 0) return undefined;
    const skey = latin1(tkey, 0, tkey.length);
    const e = this.#tree.findGE(skey, readSeq);
    if (e === undefined || e.skey !== skey) return undefined;
    return { kind: kindOf(e.ikey) as Kind, seq: e.seq as SeqNum, value: e.value };
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
    return new MemtableIterator(this.#tree);
  }
}

class MemtableIterator implements InternalIterator {
  readonly #tree: SortedTree;
  readonly #c: TreeCursor;

  constructor(tree: SortedTree) {
    this.#tree = tree;
    this.#c = tree.cursor();
  }

  get valid(): boolean {
    return this.#c.entry !== undefined;
  }

  key(): Uint8Array {
    return (this.#c.entry as TreeEntry).ikey;
  }

  value(): Uint8Array {
    return (this.#c.entry as TreeEntry).value;
  }

  seekToFirst(): void {
    this.#c.first();
  }

  seekToLast(): void {
    this.#c.last();
  }

  seek(ikey: Uint8Array): void {
    const n = ikey.length - TRAILER_SIZE;
    this.#tree.seekGE(this.#c, latin1(ikey, 0, n), seqForSeek(ikey));
  }

  seekForPrev(ikey: Uint8Array): void {
    const n = ikey.length - TRAILER_SIZE;
    const key = latin1(ikey, 0, n);
    const seq = seqForSeek(ikey);
    this.#tree.seekGE(this.#c, key, seq);
    const e = this.#c.entry;
    if (e === undefined) {
      this.#c.last();
    } else if (compareEntry(key, seq, e) !== 0) {
      this.#c.prev();
    }
  }

  next(): void {
    this.#c.next();
  }

  prev(): void {
    this.#c.prev();
  }
}

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
