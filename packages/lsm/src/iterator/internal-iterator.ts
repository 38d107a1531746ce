// The cursor every LSM source exposes over its internal entries (memtable,
// SSTable block, table, merged view). Positioned cursors are synchronous:
// reads are served from memory or the page cache (docs/vfs.md).
//
// Contract: after any positioning call, `valid` says whether the cursor is on
// an entry. key() and value() may only be called while valid; they return
// views that stay unchanged until the cursor moves (copy to keep them longer).
// Errors (Corruption, IoError) are thrown from the positioning call that
// met them.

export interface InternalIterator {
  /** True while positioned on an entry. */
  readonly valid: boolean;
  /** The current internal key (docs: keys/internal-key.ts). */
  key(): Uint8Array;
  /** The current value; empty for deletions. */
  value(): Uint8Array;
  /** Moves to the first entry. */
  seekToFirst(): void;
  /** Moves to the last entry. */
  seekToLast(): void;
  /** Moves to the first entry whose internal key is >= `ikey`. */
  seek(ikey: Uint8Array): void;
  /** Moves to the last entry whose internal key is <= `ikey`. */
  seekForPrev(ikey: Uint8Array): void;
  /** Moves to the next entry; requires valid. */
  next(): void;
  /** Moves to the previous entry; requires valid. */
  prev(): void;
}
