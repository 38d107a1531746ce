// Writes the output of a flush or compaction as one or more SSTables. Cuts a
// new file once the current one reaches the target size, never between two
// versions of the same table key (so a sorted level never splits a key
// across files). Range-tombstone fragments are given to each file clipped to
// the key span it owns: [previous cut, next cut), so neighbouring files do
// not overlap; a file's bounds cover its points and its tombstones.
//
// add() is synchronous (the builder appends through the page cache);
// finish() syncs every output and returns their metadata. abandon() closes
// and removes what was written.

import { copyBytes, io, ioAsync, type Checksum } from '@strata/engine';
import type { File, FileSystem } from '@strata/vfs';
import { posix } from 'node:path';
import { compareBytes, compareRange, TRAILER_SIZE } from '../keys/internal-key.js';
import type { Fragment } from '../range-del/fragmenter.js';
import { TableBuilder, type TableBuilderOptions } from '../sstable/table-builder.js';
import type { FileMeta } from '../version/file-meta.js';
import { sstName, type FileNum } from '../version/filenames.js';

export interface OutputContext {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly checksum: Checksum;
  readonly table: TableBuilderOptions;
  /** Cut a new file once this many bytes are written; Infinity for a single file. */
  readonly targetFileSize: number;
  /** Allocates a file number (and registers it as a pending output). */
  newFileNumber(): FileNum;
}

interface Current {
  readonly fileNum: FileNum;
  readonly file: File;
  readonly builder: TableBuilder;
  /** Lower bound of the key span this file owns (undefined: unbounded). */
  readonly lower: Uint8Array | undefined;
  firstKey: Uint8Array | undefined;
  entries: number;
}

export class OutputWriter {
  readonly #ctx: OutputContext;
  readonly #fragments: readonly Fragment[];
  #fragIndex = 0;
  #current: Current | undefined;
  readonly #done: { meta: FileMeta; file: File }[] = [];
  /** Bytes written to finished outputs. */
  #bytes = 0;
  /** The last table key added (in a reusable buffer). */
  #last = new Uint8Array(64);
  #lastLen = -1;

  constructor(ctx: OutputContext, fragments: readonly Fragment[]) {
    this.#ctx = ctx;
    this.#fragments = fragments;
  }

  get bytesWritten(): number {
    return this.#bytes + (this.#current?.builder.estimatedSize() ?? 0);
  }

  /** Adds the next entry; internal keys must increase. The builder copies what it keeps, so views are fine. */
  add(ikey: Uint8Array, value: Uint8Array): void {
    this.addRange(ikey, 0, ikey.length, value, 0, value.length);
  }

  /** add() of the internal key k[ks, ke) and the value v[vs, ve) (see TableBuilder.addRange). */
  addRange(k: Uint8Array, ks: number, ke: number, v: Uint8Array, vs: number, ve: number, vView?: DataView): void {
    let cur = this.#current;
    const klen = ke - ks - TRAILER_SIZE;
    const sameKey = klen === this.#lastLen && compareRange(k, ks, ks + klen, this.#last, 0, klen) === 0;
    if (cur !== undefined && !sameKey && cur.builder.estimatedSize() >= this.#ctx.targetFileSize) {
      const cut = k.slice(ks, ks + klen);
      this.#finishCurrent(cut);
      cur = this.#open(cut);
    }
    cur ??= this.#open(undefined);
    cur.builder.addRange(k, ks, ke, v, vs, ve, vView);
    if (cur.firstKey === undefined) cur.firstKey = k.slice(ks, ks + klen);
    if (!sameKey) {
      if (this.#last.length < klen) this.#last = new Uint8Array(klen * 2);
      copyBytes(this.#last, 0, k, ks, klen);
      this.#lastLen = klen;
    }
    cur.entries++;
  }

  /** Finishes the last file, syncs all outputs and returns their metadata in key order. */
  async finish(): Promise<FileMeta[]> {
    if (this.#current === undefined && this.#fragIndex < this.#fragments.length) this.#open(undefined);
    if (this.#current !== undefined) this.#finishCurrent(undefined);
    for (const { file } of this.#done) {
      await ioAsync(`syncing ${file.path}`, () => file.datasync());
      file.close();
    }
    if (this.#done.length > 0) await ioAsync(`syncing ${this.#ctx.dir}`, () => this.#ctx.fs.syncDir(this.#ctx.dir));
    return this.#done.map((d) => d.meta);
  }

  /** Closes and removes every output (after a failure). */
  abandon(): void {
    const files = this.#done.map((d) => ({ fileNum: d.meta.fileNum, file: d.file }));
    if (this.#current !== undefined) files.push({ fileNum: this.#current.fileNum, file: this.#current.file });
    this.#current = undefined;
    for (const { fileNum, file } of files) {
      try {
        file.close();
        this.#ctx.fs.remove(posix.join(this.#ctx.dir, sstName(fileNum)));
      } catch {
        // Best effort: open() removes files no version lists.
      }
    }
  }

  #open(lower: Uint8Array | undefined): Current {
    const fileNum = this.#ctx.newFileNumber();
    const path = posix.join(this.#ctx.dir, sstName(fileNum));
    const file = io(`creating ${path}`, () => this.#ctx.fs.create(path));
    const builder = new TableBuilder(file, this.#ctx.table, { checksum: this.#ctx.checksum });
    this.#current = { fileNum, file, builder, lower, firstKey: undefined, entries: 0 };
    return this.#current;
  }

  /** Finishes the current file; `upper` is the cut (exclusive) where the next file begins. */
  #finishCurrent(upper: Uint8Array | undefined): void {
    const cur = this.#current as Current;
    this.#current = undefined;
    let smallest = cur.firstKey;
    let largest: Uint8Array | undefined = cur.entries > 0 ? this.#last.slice(0, this.#lastLen) : undefined;
    let largestExclusive = false;
    let rangeDels = 0;
    // Fragments before `upper`, clipped to [cur.lower, upper).
    while (this.#fragIndex < this.#fragments.length) {
      const f = this.#fragments[this.#fragIndex] as Fragment;
      if (upper !== undefined && compareBytes(f.start, upper) >= 0) break;
      const start = cur.lower !== undefined && compareBytes(f.start, cur.lower) < 0 ? cur.lower : f.start;
      const endsPast = upper !== undefined && compareBytes(f.end, upper) > 0;
      const end = endsPast && upper !== undefined ? upper : f.end;
      if (compareBytes(start, end) < 0) {
        for (const seq of f.seqs) {
          cur.builder.addRangeTombstone({ start, end, seq });
          rangeDels++;
        }
        if (smallest === undefined || compareBytes(start, smallest) < 0) smallest = start;
        const c = largest === undefined ? 1 : compareBytes(end, largest);
        if (c > 0) {
          largest = end;
          largestExclusive = true;
        }
      }
      if (endsPast) break; // The rest of this fragment belongs to the next file.
      this.#fragIndex++;
    }
    const props = io(`writing ${cur.file.path}`, () => cur.builder.finish());
    if (smallest === undefined || largest === undefined) {
      // Nothing was written: drop the empty file.
      cur.file.close();
      io(`removing ${cur.file.path}`, () => this.#ctx.fs.remove(cur.file.path));
      return;
    }
    this.#bytes += props.fileSize;
    this.#done.push({
      file: cur.file,
      meta: {
        fileNum: cur.fileNum,
        size: props.fileSize,
        smallest,
        largest,
        largestExclusive,
        smallestSeq: props.smallestSeq,
        largestSeq: props.largestSeq,
        entries: props.entries,
        deletions: props.deletions,
        rangeDels,
      },
    });
  }
}
