// Page I/O for one open data file: every read is verified against what the
// caller expects (docs/format/btree.md) and counted; nodes go through the
// page cache. Reads and writes are synchronous (the OS page cache serves
// them); only syncs are awaited, by the engine.

import { io, type Checksum } from '@strata/engine';
import type { File } from '@strata/vfs';
import { decodeBlob } from '../format/blob.js';
import { PAGE_HEADER_SIZE, PageType } from '../format/format.js';
import type { RunRef } from '../format/meta.js';
import { decodeNode } from '../format/node-codec.js';
import { readHeader, seal, verifyRun } from '../format/page.js';
import type { Node, Overflow } from '../tree/node.js';
import type { PageCache } from './page-cache.js';

export type WriteKind = 'leaf' | 'branch' | 'overflow' | 'catalog' | 'freelist' | 'meta';

export interface PagerCounters {
  /** Node pages read from the file (cache misses). */
  nodeReads: number;
  /** Node lookups the cache answered. */
  cacheHits: number;
  /** Overflow pages read. */
  overflowPagesRead: number;
  /** Pages written, by what they hold. */
  readonly pagesWritten: Record<WriteKind, number>;
}

export function newPagerCounters(): PagerCounters {
  return { nodeReads: 0, cacheHits: 0, overflowPagesRead: 0, pagesWritten: { leaf: 0, branch: 0, overflow: 0, catalog: 0, freelist: 0, meta: 0 } };
}

const NODE_TYPES = [PageType.Branch, PageType.Leaf] as const;

export class Pager {
  readonly file: File;
  readonly path: string;
  readonly pageSize: number;
  readonly checksum: Checksum;
  readonly cache: PageCache;
  readonly counters: PagerCounters;

  constructor(file: File, path: string, pageSize: number, checksum: Checksum, cache: PageCache, counters: PagerCounters) {
    this.file = file;
    this.path = path;
    this.pageSize = pageSize;
    this.checksum = checksum;
    this.cache = cache;
    this.counters = counters;
  }

  #read(offset: number, length: number): Uint8Array {
    return io(`reading ${this.path}`, () => this.file.read(offset, length));
  }

  /** Reads and verifies a run of pages. */
  #readRun(pgid: number, span: number, txid: number, types: readonly PageType[]): Uint8Array {
    const offset = pgid * this.pageSize;
    const run = this.#read(offset, span * this.pageSize);
    verifyRun(run, { pgid, span, txid, types }, this.checksum, this.path, offset);
    return run;
  }

  /** The branch or leaf at `pgid`, which `txid` wrote. */
  node(pgid: number, txid: number): Node {
    const cached = this.cache.get(pgid, txid);
    if (cached !== undefined) {
      this.counters.cacheHits++;
      return cached;
    }
    this.counters.nodeReads++;
    const offset = pgid * this.pageSize;
    const run = this.#read(offset, this.pageSize);
    const h = verifyRun(run, { pgid, span: 1, txid, types: NODE_TYPES }, this.checksum, this.path, offset);
    const node = decodeNode(run, h, this.path, offset, this.pageSize);
    this.cache.put(node);
    return node;
  }

  /** The node at `pgid` read from the file and verified, bypassing the cache (verify()). */
  readNode(pgid: number, txid: number): Node {
    const offset = pgid * this.pageSize;
    const run = this.#read(offset, this.pageSize);
    const h = verifyRun(run, { pgid, span: 1, txid, types: NODE_TYPES }, this.checksum, this.path, offset);
    return decodeNode(run, h, this.path, offset, this.pageSize);
  }

  /** An overflow value, as a fresh copy. */
  overflow(ref: Overflow): Uint8Array {
    this.counters.overflowPagesRead += ref.span;
    const run = this.#readRun(ref.pgid, ref.span, ref.txid, [PageType.Overflow]);
    return run.slice(PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + ref.length);
  }

  /** Verifies an overflow run without keeping it (recovery). */
  checkOverflow(ref: Overflow): void {
    this.#readRun(ref.pgid, ref.span, ref.txid, [PageType.Overflow]);
  }

  /** The payload of a catalog or freelist run. */
  blob(ref: RunRef, type: PageType): Uint8Array {
    const offset = ref.pgid * this.pageSize;
    const run = this.#read(offset, ref.span * this.pageSize);
    const h = verifyRun(run, { pgid: ref.pgid, span: ref.span, txid: ref.txid, types: [type] }, this.checksum, this.path, offset);
    return decodeBlob(run, h, this.path, offset);
  }

  /** Writes a sealed run at `pgid`. */
  write(pgid: number, run: Uint8Array, kind: WriteKind): void {
    io(`writing ${this.path}`, () => this.file.writeAt(run, pgid * this.pageSize));
    this.counters.pagesWritten[kind] += run.length / this.pageSize;
  }

  /**
   * Writes an encoded, unsealed node page at `pgid` and caches its decoded
   * form (decoded from the page itself, so the cache holds exactly the bytes
   * on disk and no views of older buffers).
   */
  writeNode(pgid: number, page: Uint8Array): void {
    seal(page, this.checksum);
    const offset = pgid * this.pageSize;
    const node = decodeNode(page, readHeader(new DataView(page.buffer, page.byteOffset, page.byteLength)), this.path, offset, this.pageSize);
    this.write(pgid, page, node.leaf ? 'leaf' : 'branch');
    this.cache.put(node);
  }
}
