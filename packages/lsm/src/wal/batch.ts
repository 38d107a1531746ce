// Write batches as WAL records (docs/format/wal.md). write() encodes the
// caller's ops at once (so later changes to the caller's buffers cannot
// reach the engine), into a buffer that already has room for the record-log
// frame header; the group-commit leader stamps the sequence number and seals
// the frame. The memtable keeps views into the decoded payload as values.
//
// payload := seq u64le | count varint | op*
// op      := type u8 | tableId varint | key bytes | (value bytes | end bytes)?
// bytes   := length varint | raw

import type { Checksum } from '@strata/engine';
import { ByteReader, DecodeError, RECORD_HEADER_SIZE, sealFrame } from '@strata/engine';

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

/** A batch encoded as a frame awaiting its sequence number. */
export interface EncodedBatch {
  /** Frame header (unsealed) followed by the payload. */
  readonly frame: Uint8Array;
  /** Number of ops: the batch takes sequence numbers seq .. seq + count - 1. */
  readonly count: number;
  /** Key and value bytes the user asked to write (for write amplification). */
  readonly userBytes: number;
  /**
   * Where each op sits in `frame`, LAYOUT_STRIDE numbers per op: type, key
   * offset, key length, value offset, value length, table id. Lets the
   * memtable take its copies straight from the frame without decoding it.
   */
  readonly layout: Uint32Array;
}

export const LAYOUT_STRIDE = 6;

/** Input to the encoder: ops whose table names are already resolved to ids. */
export interface OpInput {
  readonly type: OpType;
  readonly tableId: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

function varintSize(x: number): number {
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

function putVarint(buf: Uint8Array, pos: number, x: number): number {
  while (x >= 0x80) {
    buf[pos++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  buf[pos++] = x;
  return pos;
}

export function encodeBatch(ops: readonly OpInput[]): EncodedBatch {
  let size = RECORD_HEADER_SIZE + SEQ_SIZE + varintSize(ops.length);
  let userBytes = 0;
  for (const op of ops) {
    size += 1 + varintSize(op.tableId) + varintSize(op.key.length) + op.key.length;
    if (op.type !== OpType.Delete) size += varintSize(op.value.length) + op.value.length;
    userBytes += op.key.length + op.value.length;
  }
  const frame = new Uint8Array(size);
  const layout = new Uint32Array(ops.length * LAYOUT_STRIDE);
  let pos = putVarint(frame, RECORD_HEADER_SIZE + SEQ_SIZE, ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as OpInput;
    const l = i * LAYOUT_STRIDE;
    layout[l] = op.type;
    layout[l + 5] = op.tableId;
    frame[pos++] = op.type;
    pos = putVarint(frame, pos, op.tableId);
    pos = putVarint(frame, pos, op.key.length);
    layout[l + 1] = pos;
    layout[l + 2] = op.key.length;
    frame.set(op.key, pos);
    pos += op.key.length;
    if (op.type !== OpType.Delete) {
      pos = putVarint(frame, pos, op.value.length);
      layout[l + 3] = pos;
      layout[l + 4] = op.value.length;
      frame.set(op.value, pos);
      pos += op.value.length;
    }
  }
  return { frame, count: ops.length, userBytes, layout };
}

/** Stamps `seq` into the batch and seals its frame; the frame is then ready to append. */
export function sealBatch(batch: EncodedBatch, seq: number, checksum: Checksum): void {
  const p = RECORD_HEADER_SIZE;
  const f = batch.frame;
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
  sealFrame(f, checksum);
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
