// What the store holds in memory for one Raft group (raft-engine's
// memtable): the entry index, the hard state, the group's key/values, and
// which segment each piece of state was last written to, so purge knows what
// must be rewritten before a segment can go. Recovery and the write path
// apply items through the same apply(). Owned by the store; only its
// committer (and recovery, before the store is open) mutates it.

import { InvalidArgument } from '@strata/engine';
import { ItemKind } from '../format/format.js';
import type { DecodedItem, HardState, LogBatch } from '../format/log-batch.js';
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
  /** The segment of the last Append, Truncate or CompactTo: where an empty log's first index was set. */
  #shapeSegment = 0;

  get hardState(): HardState | undefined {
    return this.#hardState?.value;
  }

  get(key: string): Uint8Array | undefined {
    return this.#kv.get(key)?.value;
  }

  /** Applies one item written to `segment` in the frame at `frame`; throws InvalidArgument if it does not fit the log (a gap). */
  apply(item: DecodedItem, segment: number, frame: number): void {
    switch (item.kind) {
      case ItemKind.Append:
        this.index.append(item.firstIndex, item.terms, segment, frame, item.offsets, item.lengths);
        this.#shapeSegment = segment;
        break;
      case ItemKind.Truncate:
        this.index.truncate(item.from);
        this.#shapeSegment = segment;
        break;
      case ItemKind.CompactTo:
        this.index.compactTo(item.index);
        this.#shapeSegment = segment;
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
      default:
        throw new InvalidArgument('unknown item');
    }
  }

  /**
   * The oldest segment that replay needs for anything but entries (Infinity
   * if none): the hard state's, each live key's, and, for an empty log whose
   * first index is not 1, the segment that set it.
   */
  oldestStateSegment(): number {
    let oldest = this.#hardState?.segment ?? Infinity;
    for (const v of this.#kv.values()) oldest = Math.min(oldest, v.segment);
    if (this.index.count === 0 && this.index.firstIndex > 1) oldest = Math.min(oldest, this.#shapeSegment);
    return oldest;
  }

  /**
   * Adds to `batch` what restores this group's state but its entries, for
   * purge to write to a newer segment before the older ones go: the hard
   * state, every key, and the first index of an empty log.
   */
  addStateTo(batch: LogBatch, group: number): void {
    if (this.#hardState !== undefined) batch.setHardState(group, this.#hardState.value);
    for (const [k, v] of this.#kv) batch.put(group, keyBytes(k), v.value);
    if (this.index.count === 0 && this.index.firstIndex > 1) batch.compactTo(group, this.index.firstIndex);
  }

}
