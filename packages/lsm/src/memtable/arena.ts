// The memtable's arena: entries live back to back in 1 MiB chunks of shared
// memory instead of as a small object and two typed arrays each, so a write
// allocates nothing the garbage collector has to trace, and a flush can hand
// the chunks to the worker thread without copying them (SharedArrayBuffer).
// An entry is named by a ref, a number: chunk index * CHUNK_SIZE + offset.
// An entry too large for a chunk's quarter gets a chunk of its own.
//
// entry := ikeyLen u32le | valueLen u32le | internal key | value
//
// Entries are written once and never change, so views handed out stay valid
// and a sealed memtable's chunks can be read from another thread.

import { seqAt, TRAILER_SIZE } from '../keys/internal-key.js';

export const CHUNK_SIZE = 1 << 20;
/** Entries larger than this get a chunk of their own (so chunks waste little). */
const OVERSIZED = CHUNK_SIZE >>> 2;
export const ENTRY_HEADER_SIZE = 8;

export class Arena {
  readonly chunks: Uint8Array[] = [];
  /** A DataView over each chunk (copies into the arena go through them). */
  readonly views: DataView[] = [];
  #cur = -1;
  #pos = CHUNK_SIZE;
  #allocated = 0;

  /** Bytes of the chunks allocated so far. */
  get allocatedBytes(): number {
    return this.#allocated;
  }

  /** Reserves `n` bytes and returns their ref. */
  alloc(n: number): number {
    if (n > OVERSIZED) {
      this.#newChunk(n);
      this.#allocated += n;
      return (this.chunks.length - 1) * CHUNK_SIZE;
    }
    if (this.#pos + n > CHUNK_SIZE) {
      this.#newChunk(CHUNK_SIZE);
      this.#allocated += CHUNK_SIZE;
      this.#cur = this.chunks.length - 1;
      this.#pos = 0;
    }
    const ref = this.#cur * CHUNK_SIZE + this.#pos;
    this.#pos += n;
    return ref;
  }

  #newChunk(size: number): void {
    // Shared so that a flush on the worker thread reads the chunks in place.
    const buf = new SharedArrayBuffer(size);
    this.chunks.push(new Uint8Array(buf));
    this.views.push(new DataView(buf));
  }
}

/** The chunk holding `ref`. */
export function chunkOf<T extends Uint8Array | DataView>(chunks: readonly T[], ref: number): T {
  return chunks[Math.floor(ref / CHUNK_SIZE)] as T;
}

/** Offset of `ref` in its chunk. */
export function offsetOf(ref: number): number {
  return ref - Math.floor(ref / CHUNK_SIZE) * CHUNK_SIZE;
}

export function u32At(c: Uint8Array, o: number): number {
  return ((c[o] as number) | ((c[o + 1] as number) << 8) | ((c[o + 2] as number) << 16) | ((c[o + 3] as number) << 24)) >>> 0;
}

export function putU32(c: Uint8Array, o: number, x: number): void {
  c[o] = x;
  c[o + 1] = x >>> 8;
  c[o + 2] = x >>> 16;
  c[o + 3] = x >>> 24;
}

/** The internal key of the entry at `ref` (a view). */
export function entryKey(chunks: readonly Uint8Array[], ref: number): Uint8Array {
  const c = chunkOf(chunks, ref);
  const o = offsetOf(ref);
  return c.subarray(o + ENTRY_HEADER_SIZE, o + ENTRY_HEADER_SIZE + u32At(c, o));
}

/** The value of the entry at `ref` (a view). */
export function entryValue(chunks: readonly Uint8Array[], ref: number): Uint8Array {
  const c = chunkOf(chunks, ref);
  const o = offsetOf(ref);
  const start = o + ENTRY_HEADER_SIZE + u32At(c, o);
  return c.subarray(start, start + u32At(c, o + 4));
}

/** Sequence number of the entry at `ref`. */
export function entrySeq(chunks: readonly Uint8Array[], ref: number): number {
  const c = chunkOf(chunks, ref);
  const o = offsetOf(ref);
  return seqAt(c, o + ENTRY_HEADER_SIZE + u32At(c, o) - TRAILER_SIZE);
}
