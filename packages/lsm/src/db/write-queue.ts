// The writes waiting for the next group commit. write() encodes its batch
// straight into the queue's buffer, behind the batches queued before it, so a
// group reaches the WAL as one contiguous write with no per-write allocation
// and no copying to join frames. Taking a group hands its buffer to the
// committer and starts a new one; the committer gives the buffer back once the
// WAL and the memtable have their copies, and the next group reuses it.

import type { WriteOp } from '@strata/engine';
import { encodeBatch, type EncodedBatch, type FrameSink } from '../wal/batch.js';

export interface Pending {
  readonly batch: EncodedBatch;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** A group taken for commit: the writers and the buffer holding their frames, back to back from 0. */
export interface Group {
  readonly writers: readonly Pending[];
  readonly buffer: GroupBuffer;
}

const INITIAL_BYTES = 64 * 1024;
/** A buffer that grew past this is dropped after its group rather than kept for reuse. */
const KEEP_BYTES = 4 * 1024 * 1024;

export class GroupBuffer implements FrameSink {
  bytes = new Uint8Array(INITIAL_BYTES);
  /** A DataView over `bytes` (replaced with it). */
  view = new DataView(this.bytes.buffer);
  length = 0;

  reserve(n: number): number {
    const at = this.length;
    const end = at + n;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.bytes.length));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = end;
    return at;
  }
}

export class WriteQueue {
  #writers: Pending[] = [];
  #buffer = new GroupBuffer();
  #spare: GroupBuffer | undefined;

  get length(): number {
    return this.#writers.length;
  }

  /** Frame bytes queued. */
  get bytes(): number {
    return this.#buffer.length;
  }

  /** True if any queued writer asked for a sync. */
  get wantsSync(): boolean {
    for (const p of this.#writers) if (p.sync) return true;
    return false;
  }

  /** Encodes checked ops behind the queued batches (call push() with the result right after). */
  encode(ops: readonly WriteOp[], tableIds: ReadonlyMap<string, number>): EncodedBatch {
    const at = this.#buffer.length;
    try {
      return encodeBatch(ops, tableIds, this.#buffer);
    } catch (err) {
      // Nothing half-written may reach the WAL with the next group.
      this.#buffer.length = at;
      throw err;
    }
  }

  push(p: Pending): void {
    this.#writers.push(p);
  }

  /** Takes every queued writer as one group. */
  take(): Group {
    const group = { writers: this.#writers, buffer: this.#buffer };
    this.#writers = [];
    this.#buffer = this.#spare ?? new GroupBuffer();
    this.#spare = undefined;
    return group;
  }

  /** Gives a committed group's buffer back for reuse. */
  recycle(group: Group): void {
    const b = group.buffer;
    if (b.bytes.length > KEEP_BYTES) return;
    b.length = 0;
    this.#spare = b;
  }
}
