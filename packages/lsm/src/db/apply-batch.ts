// Applies a committed batch to the memtable straight from its WAL frame
// (wal/batch.ts): the frame was encoded by this process, so it is walked
// without the checks a decoder of untrusted bytes makes, and nothing is
// allocated per op but the memtable's own copy.

import { Kind, tableKey } from '../keys/internal-key.js';
import type { Memtable } from '../memtable/memtable.js';
import { OpType, type EncodedBatch } from '../wal/batch.js';

/** Where the walk through the frame is (applyBatch is synchronous, so one position serves every call). */
let pos = 0;

/** The varint at `pos` of `f`; moves past it. */
function varint(f: Uint8Array): number {
  let x = 0;
  for (let shift = 1; ; shift *= 0x80) {
    const b = f[pos++] as number;
    x += (b & 0x7f) * shift;
    if (b < 0x80) return x;
  }
}

/** Applies `batch` (in `f`, sealed with sequence number `seq`; `view` is a DataView over exactly `f`) to `mem`; returns the next free seq. */
export function applyBatch(mem: Memtable, f: Uint8Array, view: DataView, batch: EncodedBatch, seq: number): number {
  pos = batch.opsAt;
  for (let i = 0; i < batch.count; i++) {
    const type = f[pos++] as OpType;
    const id = varint(f);
    const keyLen = varint(f);
    const keyAt = pos;
    pos += keyLen;
    let valueLen = 0;
    let valueAt = pos;
    if (type !== OpType.Delete) {
      valueLen = varint(f);
      valueAt = pos;
      pos += valueLen;
    }
    if (type === OpType.DeleteRange) {
      mem.addRangeTombstone(tableKey(id, f.subarray(keyAt, keyAt + keyLen)), tableKey(id, f.subarray(valueAt, valueAt + valueLen)), seq);
    } else {
      mem.addFromBytes(seq, type === OpType.Put ? Kind.Put : Kind.Delete, id, f, keyAt, keyLen, valueAt, valueLen, view);
    }
    seq++;
  }
  return seq;
}

/** Applies one op replayed from the WAL (key and value are views the memtable copies from). */
export function applyOp(mem: Memtable, seq: number, type: OpType, tkey: Uint8Array, value: Uint8Array): void {
  switch (type) {
    case OpType.Put:
      mem.add(seq, Kind.Put, tkey, value);
      break;
    case OpType.Delete:
      mem.add(seq, Kind.Delete, tkey, EMPTY);
      break;
    case OpType.DeleteRange:
      mem.addRangeTombstone(tkey, value, seq);
      break;
  }
}

const EMPTY = new Uint8Array(0);
