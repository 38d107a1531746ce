// Reads one SSTable (docs/format/sstable.md). open() reads and verifies the
// footer and every meta block (filter, range-del, properties, index) and
// keeps them in memory; data blocks are read on demand through the shared
// block cache, each verified (checksum, decode, last key against the index)
// before it is cached. Any mismatch throws Corruption(path, offset); a failed
// read throws IoError. Synchronous throughout: reads hit the page cache.

import type { Checksum } from '@strata/engine';
import { copyOut, Corruption, IoError, isEngineError } from '@strata/engine';
import type { File } from '@strata/vfs';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { compareBytes, Kind, seqAt, TABLE_ID_SIZE, TRAILER_SIZE, type SeqNum } from '../keys/internal-key.js';
import { LookupKey } from '../keys/lookup-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import type { ReadCounters } from '../stats/read-stats.js';
import { bloomHash, bloomMayContain, bloomMayContainHash } from './bloom.js';
import type { BlockCache, CacheHandle } from './block-cache.js';
import { compareInternalAt, decodeBlock, type Block } from './block.js';
import { unsealBlock } from './block-trailer.js';
import { decodeFooter, type BlockHandle } from './footer.js';
import { BLOCK_TRAILER_SIZE, FOOTER_SIZE } from './format.js';
import { decodeProperties, type TableProperties } from './properties.js';
import { decodeRangeDels } from './range-del-block.js';
import { TableIterator, type DataBlockSource } from './table-iterator.js';

export interface TableReaderOptions {
  /** The table's file number: the block cache key. */
  readonly fileNum: number;
  /** The file's path, for error messages. */
  readonly path: string;
  /** The table's size as recorded when it was written. */
  readonly size: number;
  readonly checksum: Checksum;
  readonly cache: BlockCache;
  /** Counters every get and block read bumps (the engine's). */
  readonly counters: ReadCounters;
  /** Load and consult the table's filter; false reads as if it had none (for studies). Default true. */
  readonly useFilters?: boolean;
}

/** The newest visible version of a key in one table. */
export interface PointEntry {
  readonly kind: Kind;
  readonly seq: SeqNum;
  /** A view into a cached block: do not modify; empty for deletions. */
  readonly value: Uint8Array;
}

/** Where lookup() found an entry: reused across lookups by its caller. */
export class PointHit {
  kind: Kind = Kind.Put;
  seq = 0 as SeqNum;
  block: Block | undefined = undefined;
  pos = 0;

  /** The entry's value, a view into a cached block: do not modify; empty for deletions. */
  value(): Uint8Array {
    return (this.block as Block).value(this.pos);
  }

  /** The entry's value, copied out of the block. */
  copyValue(): Uint8Array {
    const b = this.block as Block;
    return copyOut(b.bytes, b.valueStart(this.pos), b.valueEnd(this.pos), b.view);
  }
}

export class TableReader implements DataBlockSource {
  readonly properties: TableProperties;
  /** One entry per data block: key = the block's last key, value = its handle. */
  readonly index: Block;
  readonly #file: File;
  readonly #opts: TableReaderOptions;
  readonly #filter: Uint8Array | undefined;
  readonly #tombstones: readonly RangeTombstone[];
  /** Data block i is at #offsets[i], its stored payload #sizes[i] bytes. */
  readonly #offsets: Float64Array;
  readonly #sizes: Uint32Array;
  /** The cache handle of data block i, once this reader cached or found it. */
  readonly #handles: (CacheHandle<Block> | undefined)[];

  private constructor(
    file: File,
    opts: TableReaderOptions,
    index: Block,
    offsets: Float64Array,
    sizes: Uint32Array,
    filter: Uint8Array | undefined,
    tombstones: readonly RangeTombstone[],
    properties: TableProperties,
  ) {
    this.#file = file;
    this.#opts = opts;
    this.index = index;
    this.#offsets = offsets;
    this.#sizes = sizes;
    this.#handles = new Array<CacheHandle<Block> | undefined>(offsets.length).fill(undefined);
    this.#filter = filter;
    this.#tombstones = tombstones;
    this.properties = properties;
  }

  /**
   * Opens the table in `file` and verifies its footer and meta blocks. The
   * reader owns the file from here: it is closed by close(), or at once if
   * open throws.
   */
  static open(file: File, opts: TableReaderOptions): TableReader {
    try {
      return TableReader.#open(file, opts);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  static #open(file: File, opts: TableReaderOptions): TableReader {
    const { path, size, checksum } = opts;
    const fail = (offset: number, detail: string): never => {
      throw new Corruption(path, offset, detail);
    };
    if (!Number.isSafeInteger(size) || size < FOOTER_SIZE) fail(0, `file of ${size} bytes is shorter than a footer`);
    const footerAt = size - FOOTER_SIZE;
    const footer = decodeFooter(readExact(file, path, footerAt, FOOTER_SIZE), checksum, path, footerAt);

    // The blocks tile the file: data blocks, [filter], range-del, properties, index, footer.
    const end = (h: BlockHandle): number => h.offset + h.size + BLOCK_TRAILER_SIZE;
    if (end(footer.index) !== footerAt) fail(footerAt, 'index block does not end at the footer');
    if (end(footer.properties) !== footer.index.offset) fail(footerAt, 'properties block does not end at the index block');
    if (end(footer.rangeDel) !== footer.properties.offset) fail(footerAt, 'range-del block does not end at the properties block');
    const hasFilter = footer.filter.size > 0;
    if (hasFilter && end(footer.filter) !== footer.rangeDel.offset) fail(footerAt, 'filter block does not end at the range-del block');
    if (!hasFilter && footer.filter.offset !== 0) fail(footerAt, 'absent filter with a nonzero offset');
    const dataEnd = hasFilter ? footer.filter.offset : footer.rangeDel.offset;
    if (dataEnd < 0) fail(footerAt, 'meta blocks start before the file');

    const readBlock = (h: BlockHandle): Uint8Array =>
      unsealBlock(readExact(file, path, h.offset, h.size + BLOCK_TRAILER_SIZE), checksum, path, h.offset);

    const index = decodeBlock(readBlock(footer.index), { file: path, offset: footer.index.offset });
    const offsets = new Float64Array(index.count);
    const sizes = new Uint32Array(index.count);
    let expect = 0;
    for (let i = 0; i < index.count; i++) {
      const h = decodeHandle(index.value(i));
      if (h === undefined) return fail(footer.index.offset, `index entry ${i} has a malformed block handle`);
      if (h.offset !== expect) fail(footer.index.offset, `data block ${i} at ${h.offset}, expected ${expect}`);
      offsets[i] = h.offset;
      sizes[i] = h.size;
      expect = end(h);
    }
    if (expect !== dataEnd) fail(footer.index.offset, `data blocks end at ${expect}, meta blocks start at ${dataEnd}`);

    const filter = hasFilter && opts.useFilters !== false ? readBlock(footer.filter) : undefined;
    const tombstones = Object.freeze(decodeRangeDels(readBlock(footer.rangeDel), path, footer.rangeDel.offset));
    const stored = decodeProperties(readBlock(footer.properties), path, footer.properties.offset);
    const propsAt = footer.properties.offset;
    if (stored.dataBlocks !== index.count) fail(propsAt, `properties count ${stored.dataBlocks} data blocks, the index ${index.count}`);
    if (stored.dataBytes !== dataEnd) fail(propsAt, `properties count ${stored.dataBytes} data bytes, the layout ${dataEnd}`);
    if (stored.rangeTombstones !== tombstones.length) fail(propsAt, `properties count ${stored.rangeTombstones} tombstones, the block ${tombstones.length}`);
    if ((stored.entries === 0) !== (index.count === 0)) fail(propsAt, `properties count ${stored.entries} entries in ${index.count} blocks`);
    const largest = stored.largestPoint;
    if (largest !== undefined && index.compareAt(index.count - 1, largest) !== 0) fail(propsAt, 'largest point is not the last index key');

    const properties: TableProperties = {
      ...stored,
      indexBytes: footer.index.size + BLOCK_TRAILER_SIZE,
      filterBytes: hasFilter ? footer.filter.size + BLOCK_TRAILER_SIZE : 0,
      fileSize: size,
    };
    return new TableReader(file, opts, index, offsets, sizes, filter, tombstones, properties);
  }

  /** False only if the filter proves no entry of `tkey` is in this table. */
  mayContain(tkey: Uint8Array): boolean {
    return this.#filter === undefined || bloomMayContain(this.#filter, tkey);
  }

  /** The newest point entry of `tkey` with seq <= `seq`, or undefined. Range tombstones are the caller's business. */
  get(tkey: Uint8Array, seq: SeqNum): PointEntry | undefined {
    const hit = new PointHit();
    if (!this.lookup(new LookupKey(tkey.length - TABLE_ID_SIZE).set((tkey[0] as number) * 256 + (tkey[1] as number), tkey.subarray(TABLE_ID_SIZE), seq), hit)) return undefined;
    return { kind: hit.kind, seq: hit.seq, value: hit.value() };
  }

  /**
   * The newest point entry of `lk.tkey` with seq <= `lk.seq`, into `hit`:
   * false if this table has none. Allocates nothing on a cache hit; fills
   * `lk.hash` if the table has a filter and the hash was not known yet.
   */
  lookup(lk: LookupKey, hit: PointHit): boolean {
    const counters = this.#opts.counters;
    counters.tablesProbed++;
    const filter = this.#filter;
    if (filter !== undefined) {
      if (lk.hash < 0) lk.hash = bloomHash(lk.tkey);
      if (!bloomMayContainHash(filter, lk.hash)) {
        counters.filterNegatives++;
        return false;
      }
    }
    const target = lk.ikey;
    const tkey = lk.tkey;
    const index = this.index;
    const bi = index.lowerBound(target);
    let block: Block | undefined;
    let pos = 0;
    if (bi < index.count) {
      block = this.dataBlock(bi);
      pos = block.lowerBound(target);
      if (pos < block.count && block.hasTableKey(pos, tkey)) {
        const k = block.keyStart(pos + 1);
        const keys = block.bytes;
        hit.kind = keys[k - 1] as Kind;
        hit.seq = seqAt(keys, k - TRAILER_SIZE);
        hit.block = block;
        hit.pos = pos;
        return true;
      }
    }
    // Not visible. A filter false positive unless an entry of tkey (newer than seq) sits just before the target.
    if (filter !== undefined) {
      const present =
        block !== undefined && pos > 0 ? block.hasTableKey(pos - 1, tkey) : bi > 0 ? index.hasTableKey(bi - 1, tkey) : false;
      if (!present) counters.filterFalsePositives++;
    }
    return false;
  }

  /** A cursor over every point entry, in internal-key order. */
  iterator(options?: { readonly fillCache?: boolean }): InternalIterator {
    if (options?.fillCache === false) {
      // Compaction reads each block once: read around the cache rather than flush it (RocksDB's fill_cache=false).
      return new TableIterator({ index: this.index, dataBlock: (i) => this.#uncachedBlock(i) });
    }
    return new TableIterator(this);
  }

  /** Data block `i` from the cache if there, else read and decoded without caching it. */
  #uncachedBlock(i: number): Block {
    const { cache, counters, fileNum } = this.#opts;
    const cached = cache.peek(fileNum, this.#offsets[i] as number);
    if (cached !== undefined) return cached;
    counters.blockBytesRead += (this.#sizes[i] as number) + BLOCK_TRAILER_SIZE;
    return this.#readDataBlock(i);
  }

  /** The table's range tombstones, fragmented: sorted by start, then seq descending. */
  rangeTombstones(): readonly RangeTombstone[] {
    return this.#tombstones;
  }

  /** Closes the file; later reads of uncached blocks fail with IoError. Cached blocks stay cached. */
  close(): void {
    // The cache's handles stop pointing at this reader's slots.
    for (const h of this.#handles) if (h !== undefined && h.owner === this.#handles) h.owner = undefined;
    this.#file.close();
  }

  /** Data block `i`, from the cache or read, verified, decoded and cached. */
  dataBlock(i: number): Block {
    const { cache, counters, fileNum } = this.#opts;
    counters.blocksRead++;
    // The handle this reader kept skips the cache's Map while the block stays cached.
    // Removal from the cache clears the slot (CacheHandle.owner), so an evicted block is not pinned here.
    const kept = this.#handles[i];
    if (kept !== undefined && kept.cached) {
      counters.blockCacheHits++;
      return cache.touch(kept);
    }
    const offset = this.#offsets[i] as number;
    const found = cache.lookup(fileNum, offset);
    if (found !== undefined) {
      cache.adopt(found, this.#handles, i);
      counters.blockCacheHits++;
      return found.value as Block;
    }
    counters.blockCacheMisses++;
    counters.blockBytesRead += (this.#sizes[i] as number) + BLOCK_TRAILER_SIZE;
    const block = this.#readDataBlock(i);
    const h = cache.insert(fileNum, offset, block, block.charge);
    if (h !== undefined) cache.adopt(h, this.#handles, i);
    return block;
  }

  /**
   * Reads every data block from the file (bypassing the cache) and checks the
   * whole table against its index, filter and properties: what open() cannot
   * afford to. Catches tables a buggy writer produced with valid checksums
   * (say, an index key lower than its block's last key, which would misroute
   * lookups). Throws Corruption at the first mismatch.
   */
  verify(): void {
    const path = this.#opts.path;
    const p = this.properties;
    let entries = 0;
    let deletions = 0;
    let rawKeyBytes = 0;
    let rawValueBytes = 0;
    let prevTkey: Uint8Array | undefined;
    for (let i = 0; i < this.index.count; i++) {
      const offset = this.#offsets[i] as number;
      const block = this.#readDataBlock(i);
      for (let j = 0; j < block.count; j++) {
        const key = block.key(j);
        entries++;
        if (key[key.length - 1] === (Kind.Delete as number)) deletions++;
        rawKeyBytes += key.length;
        rawValueBytes += block.value(j).length;
        const tkey = key.subarray(0, key.length - TRAILER_SIZE);
        if (prevTkey === undefined || compareBytes(prevTkey, tkey) !== 0) {
          if (!this.mayContain(tkey)) throw new Corruption(path, offset, `the filter misses a key of data block ${i}`);
          prevTkey = tkey;
        }
      }
    }
    const at = this.#opts.size;
    if (entries !== p.entries || deletions !== p.deletions) throw new Corruption(path, at, `properties count ${p.entries} entries, ${p.deletions} deletions; the blocks ${entries}, ${deletions}`);
    if (rawKeyBytes !== p.rawKeyBytes || rawValueBytes !== p.rawValueBytes) throw new Corruption(path, at, 'properties disagree with the blocks on raw key or value bytes');
    if (entries > 0) {
      const first = this.#readDataBlock(0).key(0);
      if (p.smallestPoint === undefined || compareBytes(first, p.smallestPoint) !== 0) throw new Corruption(path, at, 'smallest point is not the first key');
    }
  }

  /** Reads, verifies and decodes data block `i` (not cached). */
  #readDataBlock(i: number): Block {
    const { path, checksum } = this.#opts;
    const offset = this.#offsets[i] as number;
    const n = (this.#sizes[i] as number) + BLOCK_TRAILER_SIZE;
    const payload = unsealBlock(readExact(this.#file, path, offset, n), checksum, path, offset);
    const block = decodeBlock(payload, { file: path, offset });
    if (block.count === 0) throw new Corruption(path, offset, 'data block is empty');
    // The block must lie after its predecessor's index key and end exactly at its own.
    const last = block.count - 1;
    const index = this.index;
    const ik = index.bytes;
    if (compareInternalAt(block.bytes, block.keyStart(last), block.keyStart(last + 1), ik, index.keyStart(i), index.keyStart(i + 1)) !== 0) {
      throw new Corruption(path, offset, `data block ${i} does not end at its index key`);
    }
    if (i > 0 && compareInternalAt(block.bytes, block.keyStart(0), block.keyStart(1), ik, index.keyStart(i - 1), index.keyStart(i)) <= 0) {
      throw new Corruption(path, offset, `data block ${i} starts before the end of block ${i - 1}`);
    }
    return block;
  }
}

/** Exactly `length` bytes at `offset` of `file`: IoError if the read fails, Corruption if the file is shorter. */
function readExact(file: File, path: string, offset: number, length: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = file.read(offset, length);
  } catch (err) {
    if (isEngineError(err)) throw err;
    throw new IoError(`reading ${path} at ${offset}`, err);
  }
  if (bytes.length !== length) throw new Corruption(path, offset, `short read: ${bytes.length} of ${length} bytes (truncated file)`);
  return bytes;
}

/** A block handle encoded as varint offset, varint size, filling `v` exactly; undefined if malformed. */
function decodeHandle(v: Uint8Array): BlockHandle | undefined {
  let p = 0;
  const varint = (): number | undefined => {
    let x = 0;
    for (let scale = 1; p < v.length && scale <= 2 ** 49; scale *= 0x80) {
      const b = v[p++] as number;
      x += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return x;
    }
    return undefined;
  };
  const offset = varint();
  const size = varint();
  if (offset === undefined || size === undefined || p !== v.length || size > 0xffff_ffff) return undefined;
  return { offset, size };
}
