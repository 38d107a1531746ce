// Writes one SSTable (docs/format/sstable.md) to a File with synchronous
// appends, gathered into 256 KiB writes: data blocks as entries arrive, then
// at finish() the filter, range-del, properties and index blocks and the
// footer. It never syncs; the owner syncs the file before publishing it. Misuse (keys out of order, bad
// tombstones, use after finish) throws a plain Error; I/O failures IoError.

import type { Checksum } from '@strata/engine';
import { copyBytes, IoError, isEngineError } from '@strata/engine';
import type { File } from '@strata/vfs';
import { compareBytes, compareRange, isKind, Kind, seqAt, TABLE_ID_SIZE, TRAILER_SIZE, type SeqNum } from '../keys/internal-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { BloomBuilder } from './bloom.js';
import { BlockBuilder } from './block-builder.js';
import { sealBlock } from './block-trailer.js';
import type { CompressionName } from './compression.js';
import { encodeFooter, type BlockHandle } from './footer.js';
import {
  BLOCK_TRAILER_SIZE,
  CompressionType,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_BLOOM_BITS_PER_KEY,
  DEFAULT_RESTART_INTERVAL,
  FOOTER_SIZE,
} from './format.js';
import { encodeProperties, type TableProperties } from './properties.js';
import { encodeRangeDels, tombstoneOrderError } from './range-del-block.js';

export interface TableBuilderOptions {
  /** Target uncompressed data block size; a block is cut once it reaches this. */
  readonly blockSize: number;
  /** Entries between full (restart) keys in a block. */
  readonly restartInterval: number;
  readonly compression: CompressionName;
  /** Filter bits per distinct table key; 0 writes no filter. */
  readonly bloomBitsPerKey: number;
}

export const DEFAULT_TABLE_BUILDER_OPTIONS: TableBuilderOptions = {
  blockSize: DEFAULT_BLOCK_SIZE,
  restartInterval: DEFAULT_RESTART_INTERVAL,
  compression: 'lz4',
  bloomBitsPerKey: DEFAULT_BLOOM_BITS_PER_KEY,
};

export interface TableBuilderDeps {
  readonly checksum: Checksum;
}

const MAX_BLOCK_PAYLOAD = 0xffff_ffff;
/** Appends are gathered into writes of this size. */
const WRITE_BUFFER_SIZE = 256 * 1024;

export class TableBuilder {
  readonly #file: File;
  readonly #checksum: Checksum;
  readonly #options: TableBuilderOptions;
  readonly #data: BlockBuilder;
  readonly #index: BlockBuilder;
  readonly #bloom: BloomBuilder | undefined;
  readonly #tombstones: RangeTombstone[] = [];
  /** Bytes of the table so far, written or pending. */
  #offset = 0;
  /** Appended bytes not yet written to the file. */
  readonly #pending = new Uint8Array(WRITE_BUFFER_SIZE);
  #pendingLen = 0;
  #finished = false;
  /** The last key added; invariant: every add is after it. */
  #last = new Uint8Array(64);
  #lastLen = 0;
  #smallestPoint: Uint8Array | undefined;
  #entries = 0;
  #deletions = 0;
  #rawKeyBytes = 0;
  #rawValueBytes = 0;
  #dataBlocks = 0;
  #dataBytes = 0;
  #compressedBlocks = 0;
  #smallestSeq = Number.MAX_SAFE_INTEGER;
  #largestSeq = -1;

  /** A builder appending to `file`, which must be empty; options not given take their defaults. */
  constructor(file: File, options: Partial<TableBuilderOptions>, deps: TableBuilderDeps) {
    const o = { ...DEFAULT_TABLE_BUILDER_OPTIONS, ...options };
    if (!Number.isInteger(o.blockSize) || o.blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${o.blockSize}`);
    if (!(o.bloomBitsPerKey >= 0)) throw new RangeError(`bloomBitsPerKey must be >= 0, got ${o.bloomBitsPerKey}`);
    if (file.size() !== 0) throw new Error(`TableBuilder: ${file.path} is not empty`);
    this.#file = file;
    this.#checksum = deps.checksum;
    this.#options = o;
    this.#data = new BlockBuilder(o.restartInterval);
    this.#index = new BlockBuilder(o.restartInterval);
    this.#bloom = o.bloomBitsPerKey > 0 ? new BloomBuilder(o.bloomBitsPerKey) : undefined;
  }

  /** Point entries added so far. */
  get entries(): number {
    return this.#entries;
  }

  /** Adds a point entry; `ikey` must sort strictly after the previous one (compareInternal). */
  add(ikey: Uint8Array, value: Uint8Array): void {
    this.addRange(ikey, 0, ikey.length, value, 0, value.length);
  }

  /**
   * add() of the internal key k[ks, ke) and the value v[vs, ve), without
   * views (a flush reads both straight from the memtable's arena); `vView`,
   * a DataView over exactly `v`, speeds the value copy.
   */
  addRange(k: Uint8Array, ks: number, ke: number, v: Uint8Array, vs: number, ve: number, vView?: DataView): void {
    this.#checkOpen();
    const len = ke - ks;
    const valueLen = ve - vs;
    if (len < TABLE_ID_SIZE + TRAILER_SIZE) throw new Error(`TableBuilder.add: key of ${len} bytes is not an internal key`);
    const kind = k[ke - 1] as number;
    if (!isKind(kind)) throw new Error(`TableBuilder.add: unknown kind ${kind}`);
    if (valueLen > MAX_BLOCK_PAYLOAD / 2) throw new Error(`TableBuilder.add: value of ${valueLen} bytes is too large`);
    const tkeyLen = len - TRAILER_SIZE;
    let newTableKey = true;
    if (this.#entries > 0) {
      // One pass: the table keys decide, or (equal) the trailers, descending.
      const last = this.#last;
      const lastLen = this.#lastLen;
      const c = compareRange(last, 0, lastLen - TRAILER_SIZE, k, ks, ks + tkeyLen);
      if (c === 0) {
        newTableKey = false;
        if (compareRange(k, ks + tkeyLen, ke, last, lastLen - TRAILER_SIZE, lastLen) >= 0) throw new Error('TableBuilder.add: keys out of order');
      } else if (c > 0) {
        throw new Error('TableBuilder.add: keys out of order');
      }
    } else {
      this.#smallestPoint = k.slice(ks, ke);
    }
    if (newTableKey) this.#bloom?.add(k, ks, ks + tkeyLen);
    if (this.#last.length < len) this.#last = new Uint8Array(Math.max(len, this.#last.length * 2));
    copyBytes(this.#last, 0, k, ks, len);
    this.#lastLen = len;

    const seq = seqAt(k, ke - TRAILER_SIZE);
    if (seq < this.#smallestSeq) this.#smallestSeq = seq;
    if (seq > this.#largestSeq) this.#largestSeq = seq;
    this.#entries++;
    if (kind === Kind.Delete) this.#deletions++;
    this.#rawKeyBytes += len;
    this.#rawValueBytes += valueLen;

    this.#data.addRange(k, ks, ke, v, vs, ve, vView);
    if (this.#data.estimatedSize >= this.#options.blockSize) this.#flushData();
  }

  /** Adds a range tombstone fragment; fragments come sorted by start, then seq descending, and are identical or disjoint. */
  addRangeTombstone(t: RangeTombstone): void {
    this.#checkOpen();
    const err = tombstoneOrderError(this.#tombstones[this.#tombstones.length - 1], t);
    if (err !== undefined) throw new Error(`TableBuilder.addRangeTombstone: ${err}`);
    if (!Number.isSafeInteger(t.seq) || t.seq < 0) throw new Error(`TableBuilder.addRangeTombstone: bad seq ${t.seq}`);
    this.#tombstones.push({ start: t.start.slice(), end: t.end.slice(), seq: t.seq });
    if (t.seq < this.#smallestSeq) this.#smallestSeq = t.seq;
    if (t.seq > this.#largestSeq) this.#largestSeq = t.seq;
  }

  /** Roughly the file size finish() would produce now. */
  estimatedSize(): number {
    let tombstoneBytes = 0;
    for (const t of this.#tombstones) tombstoneBytes += t.start.length + t.end.length + 12;
    return (
      this.#offset +
      this.#data.estimatedSize +
      this.#index.estimatedSize +
      (this.#bloom?.estimatedSize ?? 0) +
      tombstoneBytes +
      4 * BLOCK_TRAILER_SIZE +
      FOOTER_SIZE +
      128
    );
  }

  /** Writes the remaining blocks and the footer; the table is complete (but not synced) when it returns. */
  finish(): TableProperties {
    this.#checkOpen();
    this.#finished = true;
    if (this.#data.count > 0) this.#flushData();

    let filter: BlockHandle = { offset: 0, size: 0 };
    if (this.#bloom !== undefined) filter = this.#write(this.#bloom.finish(), 'none').handle;
    const rangeDel = this.#write(encodeRangeDels(this.#tombstones, this.#options.restartInterval), 'none').handle;

    const hasPoints = this.#entries > 0;
    const tombstones = this.#tombstones;
    let largestEnd: Uint8Array | undefined;
    for (const t of tombstones) if (largestEnd === undefined || compareBytes(t.end, largestEnd) > 0) largestEnd = t.end;
    const empty = this.#largestSeq < 0;
    const stored = {
      entries: this.#entries,
      deletions: this.#deletions,
      rangeTombstones: tombstones.length,
      rawKeyBytes: this.#rawKeyBytes,
      rawValueBytes: this.#rawValueBytes,
      dataBlocks: this.#dataBlocks,
      dataBytes: this.#dataBytes,
      smallestPoint: hasPoints ? this.#smallestPoint : undefined,
      largestPoint: hasPoints ? this.#last.slice(0, this.#lastLen) : undefined,
      smallestSeq: (empty ? 0 : this.#smallestSeq) as SeqNum,
      largestSeq: (empty ? 0 : this.#largestSeq) as SeqNum,
      smallestTombstoneStart: tombstones[0]?.start,
      largestTombstoneEnd: largestEnd,
      compressedBlocks: this.#compressedBlocks,
      uncompressedBlocks: this.#dataBlocks - this.#compressedBlocks,
    };
    const properties = this.#write(encodeProperties(stored), 'none').handle;
    const index = this.#write(this.#index.finish(), 'none').handle;
    this.#append(encodeFooter({ filter, rangeDel, properties, index }, this.#checksum));
    this.#writePending();
    return {
      ...stored,
      indexBytes: index.size + BLOCK_TRAILER_SIZE,
      filterBytes: this.#bloom === undefined ? 0 : filter.size + BLOCK_TRAILER_SIZE,
      fileSize: this.#offset,
    };
  }

  #flushData(): void {
    const { handle, stored, type } = this.#write(this.#data.finish(), this.#options.compression);
    this.#dataBlocks++;
    this.#dataBytes += stored;
    if (type === CompressionType.Lz4) this.#compressedBlocks++;
    // The index entry's key is the block's last key; its value, the block's handle.
    const value = new Uint8Array(20);
    let p = 0;
    for (let x of [handle.offset, handle.size]) {
      while (x >= 0x80) {
        value[p++] = (x % 0x80) | 0x80;
        x = Math.floor(x / 0x80);
      }
      value[p++] = x;
    }
    this.#index.add(this.#last, value.subarray(0, p), 0, this.#lastLen);
    this.#data.reset();
  }

  #write(raw: Uint8Array, compression: CompressionName): { handle: BlockHandle; stored: number; type: CompressionType } {
    if (raw.length > MAX_BLOCK_PAYLOAD) throw new Error(`TableBuilder: block of ${raw.length} bytes is too large`);
    const sealed = sealBlock(raw, compression, this.#checksum);
    const handle = { offset: this.#offset, size: sealed.size };
    this.#append(sealed.bytes);
    return { handle, stored: sealed.bytes.length, type: sealed.type };
  }

  /** Appends `bytes` at #offset: gathered in #pending and written 256 KiB at a time (one write call per ~60 blocks, not one per block). */
  #append(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.#pendingLen + n > this.#pending.length) this.#writePending();
    if (n >= this.#pending.length) this.#writeOut(bytes);
    else {
      this.#pending.set(bytes, this.#pendingLen);
      this.#pendingLen += n;
    }
    this.#offset += n;
  }

  #writePending(): void {
    if (this.#pendingLen === 0) return;
    const bytes = this.#pending.subarray(0, this.#pendingLen);
    this.#pendingLen = 0;
    this.#writeOut(bytes);
  }

  #writeOut(bytes: Uint8Array): void {
    try {
      this.#file.append(bytes);
    } catch (err) {
      if (isEngineError(err)) throw err;
      throw new IoError(`writing ${this.#file.path}`, err);
    }
  }

  #checkOpen(): void {
    if (this.#finished) throw new Error('TableBuilder: already finished');
  }
}
