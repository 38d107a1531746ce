// A byte-bounded cache of decoded blocks shared by an engine's table readers,
// keyed by (file number, block offset). Eviction is CLOCK (second chance, as
// RocksDB's clock caches): a hit only sets the entry's referenced bit, and
// eviction walks from the oldest entry, giving each referenced one a second
// chance (bit cleared, moved to the back) and evicting the first unreferenced
// one. So a hit writes one field instead of relinking three list nodes
// (measured over 28k cached blocks, uniform random hits: 70-116 ns a hit for
// a Map lookup and LRU relink, 17-20 ns through a kept handle). A Map finds
// entries by key; a reader may also keep the handle insert() returned and
// re-use it while `handle.cached` holds, skipping the Map. A per-file index
// makes evictFile cheap. Synchronous: no await interleaves with a lookup.
// Capacity 0 disables it.

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

/**
 * A cached value. Valid while `cached`; once removed it never comes back (a
 * new handle does), and it lets go of its value so a holder of a stale handle
 * pins nothing.
 */
export class CacheHandle<V> {
  readonly key: number;
  readonly fileNum: number;
  /** The value while cached; undefined once removed. */
  value: V | undefined;
  readonly charge: number;
  cached = true;
  /** An array slot of the holder's that refers to this handle: cleared on removal. */
  owner: (CacheHandle<V> | undefined)[] | undefined = undefined;
  slot = 0;
  /** Set by a hit, cleared when eviction passes over the entry. */
  referenced = false;
  /** Neighbours in insertion (and second-chance) order: prev is older, next is newer. */
  prev: CacheHandle<V> | undefined = undefined;
  next: CacheHandle<V> | undefined = undefined;

  constructor(key: number, fileNum: number, value: V, charge: number) {
    this.key = key;
    this.fileNum = fileNum;
    this.value = value;
    this.charge = charge;
  }
}

export class BlockCache<V = Block> {
  readonly capacity: number;
  readonly #entries = new Map<number, CacheHandle<V>>();
  readonly #byFile = new Map<number, Set<number>>();
  /** Oldest and newest entries. */
  #head: CacheHandle<V> | undefined;
  #tail: CacheHandle<V> | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  /** A cache holding at most `capacity` bytes of charges; 0 caches nothing. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`block cache capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** The cached value of (fileNum, offset), now referenced; counts a hit or a miss. */
  get(fileNum: number, offset: number): V | undefined {
    return this.lookup(fileNum, offset)?.value;
  }

  /** Remembers that owner[slot] holds `e`, so removing `e` clears that slot. */
  adopt(e: CacheHandle<V>, owner: (CacheHandle<V> | undefined)[], slot: number): void {
    owner[slot] = e;
    e.owner = owner;
    e.slot = slot;
  }

  /** The handle of (fileNum, offset), now referenced; counts a hit or a miss. */
  lookup(fileNum: number, offset: number): CacheHandle<V> | undefined {
    const e = this.capacity === 0 || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET ? undefined : this.#entries.get(fileNum * 0x1_0000_0000 + offset);
    if (e === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    e.referenced = true;
    return e;
  }

  /** A hit through a handle the caller kept: the handle must be `cached`. */
  touch(e: CacheHandle<V>): V {
    if (!e.cached) throw new Error('BlockCache.touch: the handle was removed');
    this.#hits++;
    e.referenced = true;
    return e.value as V;
  }

  /** The cached value of (fileNum, offset) without touching the referenced bit or the counters. */
  peek(fileNum: number, offset: number): V | undefined {
    if (this.capacity === 0 || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET) return undefined;
    return this.#entries.get(fileNum * 0x1_0000_0000 + offset)?.value;
  }

  /**
   * Caches `value` under (fileNum, offset), charged `charge` bytes, evicting to
   * fit. Returns its handle, or undefined when it was not cached (too large,
   * out of key bounds, or capacity 0).
   */
  insert(fileNum: number, offset: number, value: V, charge: number): CacheHandle<V> | undefined {
    if (charge > this.capacity || fileNum > MAX_FILE_NUM || offset > MAX_OFFSET) return undefined;
    const key = fileNum * 0x1_0000_0000 + offset;
    this.#remove(key);
    while (this.#bytes + charge > this.capacity && this.#head !== undefined) {
      const oldest = this.#head;
      if (oldest.referenced) {
        // Second chance: clear the bit and send it to the back.
        oldest.referenced = false;
        if (oldest !== this.#tail) {
          this.#unlink(oldest);
          this.#append(oldest);
        }
        continue;
      }
      this.#remove(oldest.key);
      this.#evictions++;
    }
    const e = new CacheHandle(key, fileNum, value, charge);
    this.#entries.set(key, e);
    this.#append(e);
    this.#bytes += charge;
    let set = this.#byFile.get(fileNum);
    if (set === undefined) {
      set = new Set();
      this.#byFile.set(fileNum, set);
    }
    set.add(key);
    return e;
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
    e.cached = false;
    e.value = undefined;
    if (e.owner !== undefined) {
      if (e.owner[e.slot] === e) e.owner[e.slot] = undefined;
      e.owner = undefined;
    }
    this.#bytes -= e.charge;
    const set = this.#byFile.get(e.fileNum);
    if (set !== undefined) {
      set.delete(key);
      if (set.size === 0) this.#byFile.delete(e.fileNum);
    }
  }

  #unlink(e: CacheHandle<V>): void {
    if (e.prev === undefined) this.#head = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) this.#tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  #append(e: CacheHandle<V>): void {
    e.prev = this.#tail;
    if (this.#tail === undefined) this.#head = e;
    else this.#tail.next = e;
    this.#tail = e;
  }
}
