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
import { seal, verifyRun, type PageHeader } from '../format/page.js';
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
  #readRun(pgid: number, span: number, txid: number, types: readonly PageType[]): { run: Uint8Array; header: PageHeader; offset: number } {
    const offset = pgid * this.pageSize;
    const run = this.#read(offset, span * this.pageSize);
    return { run, header: verifyRun(run, { pgid, span, txid, types }, this.checksum, this.path, offset), offset };
  }

  /** The branch or leaf at `pgid`, which `txid` wrote. */
  node(pgid: number, txid: number): Node {
    const cached = this.cache.get(pgid, txid);
    if (cached !== undefined) {
      this.counters.cacheHits++;
      return cached;
    }
    this.counters.nodeReads++;
    const node = this.readNode(pgid, txid);
    this.cache.put(node);
    return node;
  }

  /** The node at `pgid` read from the file and verified, bypassing the cache (verify()). */
  readNode(pgid: number, txid: number): Node {
    const { run, header, offset } = this.#readRun(pgid, 1, txid, NODE_TYPES);
    return decodeNode(run, header, this.path, offset, this.pageSize);
  }

  /** An overflow value, as a fresh copy. */
  overflow(ref: Overflow): Uint8Array {
    this.counters.overflowPagesRead += ref.span;
    const { run } = this.#readRun(ref.pgid, ref.span, ref.txid, [PageType.Overflow]);
    return run.slice(PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + ref.length);
  }

  /** Verifies an overflow run without keeping it (recovery). */
  checkOverflow(ref: Overflow): void {
    this.#readRun(ref.pgid, ref.span, ref.txid, [PageType.Overflow]);
  }

  /** The payload of a catalog or freelist run. */
  blob(ref: RunRef, type: PageType): Uint8Array {
    const { run, header, offset } = this.#readRun(ref.pgid, ref.span, ref.txid, [type]);
    return decodeBlob(run, header, this.path, offset);
  }

  /** Writes a sealed run at `pgid`. */
  write(pgid: number, run: Uint8Array, kind: WriteKind): void {
    io(`writing ${this.path}`, () => this.file.writeAt(run, pgid * this.pageSize));
    this.counters.pagesWritten[kind] += run.length / this.pageSize;
  }

  /** Seals and writes an encoded node page (see encodeNode) and caches `node`, its decoded form. */
  writeNode(page: Uint8Array, node: Node): void {
    seal(page, this.checksum);
    this.write(node.pgid, page, node.leaf ? 'leaf' : 'branch');
    this.cache.put(node);
  }
}
