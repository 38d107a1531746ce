// Write batches as WAL records (docs/format/wal.md). write() encodes the
// caller's ops at once (so later changes to the caller's buffers cannot
// reach the engine), into a buffer that already has room for the record-log
// frame header; the group-commit leader stamps the sequence number and seals
// the frame. The memtable then copies each op from the frame into its arena
// (db/apply-batch.ts).
//
// payload := seq u64le | count varint | op*
// op      := type u8 | tableId varint | key bytes | (value bytes | end bytes)?
// bytes   := length varint | raw

import type { Checksum } from '@strata/engine';
import { ByteReader, copyBytes, DecodeError, putVarint, RECORD_HEADER_SIZE, sealFrame, varintSize, type WriteOp } from '@strata/engine';

/** Op type bytes. Part of the format. */
export const OpType = { Delete: 0, Put: 1, DeleteRange: 2 } as const;
export type OpType = (typeof OpType)[keyof typeof OpType];

/** Bytes of the fixed sequence-number field at the start of the payload. */
export const SEQ_SIZE = 8;

/** One decoded op; key, value and end are views into the payload. */
export interface BatchOp {
  readonly type: OpType;
  readonly tableId: number;
  /** The key (put, delete) or range start (deleteRange). */
  readonly key: Uint8Array;
  /** The value (put) or range end (deleteRange); empty for delete. */
  readonly value: Uint8Array;
}

/**
 * A batch encoded as a frame awaiting its sequence number, at `at` of the
 * buffer it was encoded into (a commit group's, see db/write-queue.ts).
 */
export interface EncodedBatch {
  /** Where the frame starts: its header (unsealed), then the payload. */
  readonly at: number;
  /** Frame bytes (0 for an empty batch, which is not written at all). */
  readonly size: number;
  /** Number of ops: the batch takes sequence numbers seq .. seq + count - 1. */
  readonly count: number;
  /** Key and value bytes the user asked to write (for write amplification). */
  readonly userBytes: number;
  /** Where the first op starts (after the seq and the count). */
  readonly opsAt: number;
}

/** Something to encode frames into: hands out room at an offset of its (growing) buffer. */
export interface FrameSink {
  /** Reserves `n` bytes; returns their offset. */
  reserve(n: number): number;
  /** The buffer (valid until the next reserve()). */
  readonly bytes: Uint8Array;
}

/** Copies src into buf at pos; returns the end. */
function putRaw(buf: Uint8Array, pos: number, src: Uint8Array): number {
  copyBytes(buf, pos, src, 0, src.length);
  return pos + src.length;
}

/**
 * Encodes checked ops (their tables resolved through `tableIds`) as a frame
 * awaiting its sequence number, into room reserved from `sink`.
 */
export function encodeBatch(ops: readonly WriteOp[], tableIds: ReadonlyMap<string, number>, sink: FrameSink): EncodedBatch {
  const count = ops.length;
  if (count === 0) return { at: 0, size: 0, count: 0, userBytes: 0, opsAt: 0 };
  let size = RECORD_HEADER_SIZE + SEQ_SIZE + varintSize(count);
  let userBytes = 0;
  for (let i = 0; i < count; i++) {
    const op = ops[i] as WriteOp;
    const id = tableIds.get(op.table) as number;
    if (op.type === 'deleteRange') {
      size += 1 + varintSize(id) + varintSize(op.start.length) + op.start.length + varintSize(op.end.length) + op.end.length;
      userBytes += op.start.length + op.end.length;
    } else {
      size += 1 + varintSize(id) + varintSize(op.key.length) + op.key.length;
      userBytes += op.key.length;
      if (op.type === 'put') {
        size += varintSize(op.value.length) + op.value.length;
        userBytes += op.value.length;
      }
    }
  }
  const at = sink.reserve(size);
  const frame = sink.bytes;
  const opsAt = putVarint(frame, at + RECORD_HEADER_SIZE + SEQ_SIZE, count);
  let pos = opsAt;
  for (let i = 0; i < count; i++) {
    const op = ops[i] as WriteOp;
    const id = tableIds.get(op.table) as number;
    if (op.type === 'deleteRange') {
      frame[pos++] = OpType.DeleteRange;
      pos = putVarint(frame, pos, id);
      pos = putRaw(frame, putVarint(frame, pos, op.start.length), op.start);
      pos = putRaw(frame, putVarint(frame, pos, op.end.length), op.end);
    } else {
      frame[pos++] = op.type === 'put' ? OpType.Put : OpType.Delete;
      pos = putVarint(frame, pos, id);
      pos = putRaw(frame, putVarint(frame, pos, op.key.length), op.key);
      if (op.type === 'put') pos = putRaw(frame, putVarint(frame, pos, op.value.length), op.value);
    }
  }
  if (pos !== at + size) throw new Error(`encodeBatch: wrote ${pos - at} of ${size} bytes`);
  return { at, size, count, userBytes, opsAt };
}

/** Stamps `seq` into the batch (in `buf`) and seals its frame; the frame is then ready to append. */
export function sealBatch(buf: Uint8Array, batch: EncodedBatch, seq: number, checksum: Checksum): void {
  const p = batch.at + RECORD_HEADER_SIZE;
  const f = buf;
  const lo = seq >>> 0;
  const hi = Math.floor(seq / 0x1_0000_0000);
  f[p] = lo;
  f[p + 1] = lo >>> 8;
  f[p + 2] = lo >>> 16;
  f[p + 3] = lo >>> 24;
  f[p + 4] = hi;
  f[p + 5] = hi >>> 8;
  f[p + 6] = hi >>> 16;
  f[p + 7] = hi >>> 24;
  sealFrame(buf.subarray(batch.at, batch.at + batch.size), checksum);
}

/** Decodes a batch payload: its sequence number and ops. Throws DecodeError (from the engine codec) if malformed. */
export function decodeBatch(payload: Uint8Array): { seq: number; ops: BatchOp[] } {
  const r = new ByteReader(payload);
  const seqBytes = r.raw(SEQ_SIZE);
  const view = new DataView(seqBytes.buffer, seqBytes.byteOffset, SEQ_SIZE);
  const seq = view.getUint32(4, true) * 0x1_0000_0000 + view.getUint32(0, true);
  if (!Number.isSafeInteger(seq)) throw new DecodeError('sequence number out of range', 0);
  const count = r.varint();
  const ops: BatchOp[] = [];
  const empty = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    const at = r.position;
    const type = r.u8();
    if (type !== OpType.Delete && type !== OpType.Put && type !== OpType.DeleteRange) {
      throw new DecodeError(`unknown op type ${type}`, at);
    }
    const tableId = r.varint();
    const key = r.bytes();
    const value = type === OpType.Delete ? empty : r.bytes();
    ops.push({ type, tableId, key, value });
  }
  r.expectEnd();
  return { seq, ops };
}
