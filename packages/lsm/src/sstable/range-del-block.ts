// The range-del block (docs/format/sstable.md, "Range-del block"): a table's
// range tombstones, already fragmented, in block format. Each entry's key is
// the start table key with the trailer (seq, Delete), so block order is the
// fragment order (start ascending, then seq descending); its value is the
// end table key. Decoding rechecks the fragment invariants.

import { Corruption } from '@strata/engine';
import { compareBytes, internalKey, Kind, seqOf, TABLE_ID_SIZE, TRAILER_SIZE } from '../keys/internal-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { BlockBuilder } from './block-builder.js';
import { decodeBlock } from './block.js';

/**
 * Why `t` cannot follow `prev` in a table, or undefined if it can: fragments
 * are sorted by start, then seq descending, and either share [start, end)
 * exactly or do not overlap.
 */
export function tombstoneOrderError(prev: RangeTombstone | undefined, t: RangeTombstone): string | undefined {
  if (t.start.length < TABLE_ID_SIZE || t.end.length < TABLE_ID_SIZE) return 'tombstone bound shorter than a table id';
  if (compareBytes(t.start, t.end) >= 0) return 'tombstone start is not before its end';
  if (prev === undefined) return undefined;
  const c = compareBytes(prev.start, t.start);
  if (c > 0) return 'tombstones are not sorted by start';
  if (c === 0) {
    if (compareBytes(prev.end, t.end) !== 0) return 'fragments with the same start have different ends';
    if (prev.seq <= t.seq) return 'fragments with the same start are not in descending seq order';
    return undefined;
  }
  if (compareBytes(prev.end, t.start) > 0) return 'fragments overlap';
  return undefined;
}

/** The block payload holding `tombstones` (already checked with tombstoneOrderError). */
export function encodeRangeDels(tombstones: readonly RangeTombstone[], restartInterval: number): Uint8Array {
  const b = new BlockBuilder(restartInterval);
  for (const t of tombstones) b.add(internalKey(t.start, t.seq, Kind.Delete), t.end);
  return b.finish();
}

/** Decodes a range-del block payload read from `offset` of `file`. */
export function decodeRangeDels(payload: Uint8Array, file: string, offset: number): RangeTombstone[] {
  const block = decodeBlock(payload, { file, offset });
  const out: RangeTombstone[] = [];
  let prev: RangeTombstone | undefined;
  for (let i = 0; i < block.count; i++) {
    const key = block.key(i);
    if (key[key.length - 1] !== Kind.Delete) throw new Corruption(file, offset, `range-del: entry ${i} has kind ${key[key.length - 1]}`);
    const t: RangeTombstone = { start: key.slice(0, key.length - TRAILER_SIZE), end: block.value(i).slice(), seq: seqOf(key) };
    const err = tombstoneOrderError(prev, t);
    if (err !== undefined) throw new Corruption(file, offset, `range-del: entry ${i}: ${err}`);
    out.push(t);
    prev = t;
  }
  return out;
}
