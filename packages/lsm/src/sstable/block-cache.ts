// A byte-bounded LRU of decoded blocks shared by an engine's table readers,
// keyed by (file number, block offset). A Map finds entries and an intrusive
// list keeps recency, so a hit never touches the Map (deleting and re-setting
// a hot key grows V8's Map chains until rehash: 15 µs a hit, measured). A
// per-file index makes evictFile cheap. Synchronous: no await interleaves with
// a lookup. Capacity 0 disables it.

import type { Block } from './block.js';

/** Keys pack fileNum * 2^32 + offset; beyond these bounds a block is simply not cached. */
const MAX_FILE_NUM = 2 ** 21 - 1;
const MAX_OFFSET = 2 ** 32 - 1;

export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Bytes currently charged. Invariant: bytes <= capacity. */
  readonly bytes: number;
  readonly entries: number;
  readonly evictions: number;
}

interface Entry<V> {
  readonly key: number;
  readonly fileNum: number;
  readonly value: V;
  readonly charge: number;
  /** Neighbours in recency order: prev is older, next is newer. */
  prev: Entry<V> | undefined;
  next: Entry<V> | undefined;
}

export class BlockCache<V = Block> {
  readonly capacity: number;
  readonly #entries = new Map<number, Entry<V>>();
  readonly #byFile = new Map<number, Set<number>>();
  /** Least and most recently used entries. */
  #head: Entry<V> | undefined;
  #tail: Entry<V> | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  /** A cache holding at most `capacity` bytes of charges; 0 caches nothing. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`block cache capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** The cached value of (fileNum, offset), now most recently used; counts a hit or a miss. */
  get(fileNum: number, offset: number): V | undefined {
    if (this.capacity === 0 || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET) {
      this.#misses++;
      return undefined;
    }
    const key = fileNum * 0x1_0000_0000 + offset;
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    if (e !== this.#tail) {
      this.#unlink(e);
      this.#append(e);
    }
    return e.value;
  }

  /** The cached value of (fileNum, offset) without touching recency or the hit counters. */
  peek(fileNum: number, offset: number): V | undefined {
    if (this.capacity === 0 || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET) return undefined;
    return this.#entries.get(fileNum * 0x1_0000_0000 + offset)?.value;
  }

  /** Caches `value` under (fileNum, offset), charged `charge` bytes, evicting the least recently used to fit. */
  insert(fileNum: number, offset: number, value: V, charge: number): void {
    if (charge > this.capacity || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET) return;
    const key = fileNum * 0x1_0000_0000 + offset;
    this.#remove(key);
    while (this.#bytes + charge > this.capacity && this.#head !== undefined) {
      this.#remove(this.#head.key);
      this.#evictions++;
    }
    const e: Entry<V> = { key, fileNum, value, charge, prev: undefined, next: undefined };
    this.#entries.set(key, e);
    this.#append(e);
    this.#bytes += charge;
    let set = this.#byFile.get(fileNum);
    if (set === undefined) {
      set = new Set();
      this.#byFile.set(fileNum, set);
    }
    set.add(key);
  }

  /** Drops every block of `fileNum` (its table was deleted). */
  evictFile(fileNum: number): void {
    const set = this.#byFile.get(fileNum);
    if (set === undefined) return;
    for (const key of [...set]) this.#remove(key);
  }

  stats(): BlockCacheStats {
    return { hits: this.#hits, misses: this.#misses, bytes: this.#bytes, entries: this.#entries.size, evictions: this.#evictions };
  }

  #remove(key: number): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    this.#unlink(e);
    this.#bytes -= e.charge;
    const set = this.#byFile.get(e.fileNum);
    if (set !== undefined) {
      set.delete(key);
      if (set.size === 0) this.#byFile.delete(e.fileNum);
    }
  }

  #unlink(e: Entry<V>): void {
    if (e.prev === undefined) this.#head = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) this.#tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  #append(e: Entry<V>): void {
    e.prev = this.#tail;
    if (this.#tail === undefined) this.#head = e;
    else this.#tail.next = e;
    this.#tail = e;
  }
}
