// What the store holds in memory for one Raft group (raft-engine's
// memtable): the entry index, the hard state, the group's key/values, and
// which segment each piece of state was last written to, so purge knows what
// must be rewritten before a segment can go. Recovery and the write path
// apply items through the same apply(). Owned by the store; only its
// committer (and recovery, before the store is open) mutates it.

import { ItemKind } from '../format/format.js';
import type { HardState, Item, LogBatch } from '../format/log-batch.js';
import { EntryIndex } from '../index/entry-index.js';

interface Stored<T> {
  readonly value: T;
  /** The segment it was last written to. */
  readonly segment: number;
}

/** Keys become Map keys through latin1, which maps bytes to code units one to one. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
}

export function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

export class GroupState {
  readonly index = new EntryIndex();
  #hardState: Stored<HardState> | undefined;
  readonly #kv = new Map<string, Stored<Uint8Array>>();

  get hardState(): HardState | undefined {
    return this.#hardState?.value;
  }

  get(key: string): Uint8Array | undefined {
    return this.#kv.get(key)?.value;
  }

  /**
   * Applies one item written to `segment` in the frame at `frame`, whose
   * Append offsets are `base` bytes into the frame's body. An append
   * that does not connect to the entries held (a gap, or below the first)
   * replaces them all. write() never lets such an append through; recovery
   * meets one when it replays from the purge floor and the entries it would
   * have connected to were in a purged segment: they were compacted or
   * overwritten since, so dropping them gives the state the log had.
   */
  apply(item: Item, segment: number, frame: number, base = 0): void {
    switch (item.kind) {
      case ItemKind.Append: {
        const idx = this.index;
        if (idx.count > 0 && (item.firstIndex > idx.lastIndex + 1 || item.firstIndex < idx.firstIndex)) idx.compactTo(idx.lastIndex + 1);
        idx.append(item.firstIndex, item.terms, segment, frame, item.offsets, item.lengths, base);
        break;
      }
      case ItemKind.Truncate:
        this.index.truncate(item.from);
        break;
      case ItemKind.Reset:
        this.index.reset(item.index);
        break;
      case ItemKind.CompactTo:
        this.index.compactTo(item.index);
        break;
      case ItemKind.HardState:
        this.#hardState = { value: item.state, segment };
        break;
      case ItemKind.Put:
        // A copy: at recovery the value is a view into a whole segment's bytes.
        this.#kv.set(keyString(item.key), { value: item.value.slice(), segment });
        break;
      case ItemKind.Delete:
        this.#kv.delete(keyString(item.key));
        break;
    }
  }

  /** The oldest segment the hard state or a live key was last written to (Infinity if none). */
  oldestStateSegment(): number {
    let oldest = this.#hardState?.segment ?? Infinity;
    for (const v of this.#kv.values()) oldest = Math.min(oldest, v.segment);
    return oldest;
  }

  /**
   * True if the log holds no entries. Replay from the purge floor may leave
   * an empty log empty at another first index (the items that emptied it may
   * act on a different prior state), so purge writes a Reset for every one;
   * a log that holds entries replays to the same entries.
   */
  get emptyLog(): boolean {
    return this.index.count === 0;
  }

  /**
   * Adds to `batch` what purge writes to the active segment before older
   * ones go: when `state` (the hard state or a key lives below the new
   * floor), the hard state and every key; and the first index of an empty
   * log (see emptyLog), as a Reset, since a CompactTo cannot lower it.
   */
  addRewriteTo(batch: LogBatch, group: number, state: boolean): void {
    if (state && this.#hardState !== undefined) batch.setHardState(group, this.#hardState.value);
    if (state) for (const [k, v] of this.#kv) batch.put(group, keyBytes(k), v.value);
    if (this.emptyLog) batch.reset(group, this.index.firstIndex);
  }

}
