// The table cache: open TableReaders by file number, bounded in count
// (open file handles) with LRU eviction. A reader is reference-counted while
// a read or an iterator uses it; eviction closes only unreferenced readers,
// so the cache may briefly exceed its bound while iterators hold more.
// Each entry also caches the table's fragmented range tombstones.
//
// Single-threaded: acquire and release are synchronous.

import type { Checksum } from '@strata/engine';
import { Corruption, IoError } from '@strata/engine';
import { NotFound, type FileSystem } from '@strata/vfs';
import { posix } from 'node:path';
import { FragmentIndex } from '../range-del/fragment-index.js';
import type { BlockCache } from '../sstable/block-cache.js';
import { TableReader } from '../sstable/table-reader.js';
import type { ReadCounters } from '../stats/read-stats.js';
import { sstName } from '../version/filenames.js';
import type { FileMeta } from '../version/file-meta.js';

interface Entry {
  readonly reader: TableReader;
  readonly tombstones: FragmentIndex;
  refs: number;
  /** Removed from the map; close when the last reference goes. */
  evicted: boolean;
}

/** A reference to an open table; call release() when done. */
export interface TableHandle {
  readonly reader: TableReader;
  readonly tombstones: FragmentIndex;
  release(): void;
}

export interface TableCacheDeps {
  readonly checksum: Checksum;
  readonly blockCache: BlockCache;
  readonly counters: ReadCounters;
  /** Passed to every TableReader. */
  readonly useFilters?: boolean;
}

export class TableCache {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #capacity: number;
  readonly #deps: TableCacheDeps;
  readonly #entries = new Map<number, Entry>();
  #opens = 0;

  constructor(fs: FileSystem, dir: string, capacity: number, deps: TableCacheDeps) {
    this.#fs = fs;
    this.#dir = dir;
    this.#capacity = Math.max(1, capacity);
    this.#deps = deps;
  }

  /** Tables opened from disk so far (cache misses). */
  get opens(): number {
    return this.#opens;
  }

  get size(): number {
    return this.#entries.size;
  }

  acquire(meta: FileMeta): TableHandle {
    let e = this.#entries.get(meta.fileNum);
    if (e !== undefined) {
      // Move to the most-recently-used end.
      this.#entries.delete(meta.fileNum);
      this.#entries.set(meta.fileNum, e);
    } else {
      e = this.#open(meta);
      this.#entries.set(meta.fileNum, e);
      e.refs++;
      this.#evictOverCapacity();
      e.refs--;
    }
    e.refs++;
    const entry = e;
    let released = false;
    return {
      reader: entry.reader,
      tombstones: entry.tombstones,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs === 0 && entry.evicted) entry.reader.close();
      },
    };
  }

  /**
   * The open table for `meta`, without taking a reference: only for use that
   * finishes before the caller next yields or calls into the cache.
   */
  peek(meta: FileMeta): { readonly reader: TableReader; readonly tombstones: FragmentIndex } {
    let e = this.#entries.get(meta.fileNum);
    if (e === undefined) {
      e = this.#open(meta);
      this.#entries.set(meta.fileNum, e);
      // Hold it while evicting others, so the table just opened is not the one closed.
      e.refs++;
      this.#evictOverCapacity();
      e.refs--;
    }
    return e;
  }

  /** Forgets `fileNum` (its file is being deleted); closes it once unreferenced. */
  evict(fileNum: number): void {
    const e = this.#entries.get(fileNum);
    if (e === undefined) return;
    this.#entries.delete(fileNum);
    e.evicted = true;
    if (e.refs === 0) e.reader.close();
    this.#deps.blockCache.evictFile(fileNum);
  }

  /** Closes every table, referenced or not: the engine is closing, and its iterators fail with Closed before they read. */
  close(): void {
    for (const [n, e] of [...this.#entries]) {
      this.#entries.delete(n);
      e.evicted = true;
      e.reader.close();
      this.#deps.blockCache.evictFile(n);
    }
  }

  #evictOverCapacity(): void {
    if (this.#entries.size <= this.#capacity) return;
    for (const [n, e] of this.#entries) {
      if (this.#entries.size <= this.#capacity) break;
      if (e.refs === 0) {
        this.#entries.delete(n);
        e.evicted = true;
        e.reader.close();
      }
    }
  }

  #open(meta: FileMeta): Entry {
    const path = posix.join(this.#dir, sstName(meta.fileNum));
    let file;
    try {
      file = this.#fs.open(path);
    } catch (err) {
      if (err instanceof NotFound) throw new Corruption(path, 0, 'an SSTable the manifest lists is missing');
      throw new IoError(`opening ${path}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    try {
      const size = file.size();
      if (size !== meta.size) throw new Corruption(path, size, `SSTable is ${size} bytes, the manifest says ${meta.size}`);
      const reader = TableReader.open(file, {
        fileNum: meta.fileNum,
        path,
        size,
        checksum: this.#deps.checksum,
        cache: this.#deps.blockCache,
        counters: this.#deps.counters,
        useFilters: this.#deps.useFilters !== false,
      });
      this.#opens++;
      return { reader, tombstones: new FragmentIndex(reader.rangeTombstones()), refs: 0, evicted: false };
    } catch (err) {
      file.close();
      throw err;
    }
  }
}
