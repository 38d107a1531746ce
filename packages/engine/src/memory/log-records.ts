// The records of the in-memory engine's log (docs/format/memory-log.md).
// Each is the payload of one record-log frame; its first byte is the kind.
// Part of the format: kinds and layouts never change meaning; a new layout
// gets a new LOG_VERSION.

import { ByteReader, ByteWriter, DecodeError } from '../codec.js';
import type { WriteOp } from '../storage-engine.js';

export const LOG_MAGIC = new TextEncoder().encode('STRATAML');
export const LOG_VERSION = 1;

const KIND_HEADER = 1;
const KIND_TABLE_CHUNK = 2;
const KIND_CHECKPOINT_END = 3;
const KIND_BATCH = 4;

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_DELETE_RANGE = 3;

export type LogRecord =
  | { readonly kind: 'header'; readonly version: number }
  | { readonly kind: 'tableChunk'; readonly table: string; readonly entries: readonly { key: Uint8Array; value: Uint8Array }[] }
  | { readonly kind: 'checkpointEnd'; readonly seq: number; readonly tables: readonly string[] }
  | { readonly kind: 'batch'; readonly ops: readonly WriteOp[] };

export function encodeHeader(): Uint8Array {
  return new ByteWriter(16).u8(KIND_HEADER).raw(LOG_MAGIC).varint(LOG_VERSION).finish();
}

export function encodeTableChunk(table: string, entries: readonly { key: Uint8Array; value: Uint8Array }[]): Uint8Array {
  const w = new ByteWriter(1024).u8(KIND_TABLE_CHUNK).string(table).varint(entries.length);
  for (const e of entries) w.bytes(e.key).bytes(e.value);
  return w.finish();
}

export function encodeCheckpointEnd(seq: number, tables: readonly string[]): Uint8Array {
  const w = new ByteWriter(64).u8(KIND_CHECKPOINT_END).varint(seq).varint(tables.length);
  for (const t of tables) w.string(t);
  return w.finish();
}

export function encodeBatch(ops: readonly WriteOp[]): Uint8Array {
  let size = 8;
  for (const op of ops) size += 16 + op.table.length + (op.type === 'deleteRange' ? op.start.length + op.end.length : op.key.length);
  const w = new ByteWriter(size).u8(KIND_BATCH).varint(ops.length);
  for (const op of ops) {
    switch (op.type) {
      case 'put':
        w.u8(OP_PUT).string(op.table).bytes(op.key).bytes(op.value);
        break;
      case 'delete':
        w.u8(OP_DELETE).string(op.table).bytes(op.key);
        break;
      case 'deleteRange':
        w.u8(OP_DELETE_RANGE).string(op.table).bytes(op.start).bytes(op.end);
        break;
    }
  }
  return w.finish();
}

/** Decodes one record; keys and values are views into `payload`. Throws DecodeError if malformed. */
export function decodeRecord(payload: Uint8Array): LogRecord {
  const r = new ByteReader(payload);
  const kind = r.u8();
  let record: LogRecord;
  switch (kind) {
    case KIND_HEADER: {
      const magic = r.raw(LOG_MAGIC.length);
      if (!magic.every((b, i) => b === LOG_MAGIC[i])) throw new DecodeError('bad magic', 1);
      record = { kind: 'header', version: r.varint() };
      break;
    }
    case KIND_TABLE_CHUNK: {
      const table = r.string();
      const n = r.varint();
      const entries: { key: Uint8Array; value: Uint8Array }[] = [];
      for (let i = 0; i < n; i++) entries.push({ key: r.bytes(), value: r.bytes() });
      record = { kind: 'tableChunk', table, entries };
      break;
    }
    case KIND_CHECKPOINT_END: {
      const seq = r.varint();
      const n = r.varint();
      const tables: string[] = [];
      for (let i = 0; i < n; i++) tables.push(r.string());
      record = { kind: 'checkpointEnd', seq, tables };
      break;
    }
    case KIND_BATCH: {
      const n = r.varint();
      const ops: WriteOp[] = [];
      for (let i = 0; i < n; i++) {
        const at = r.position;
        const type = r.u8();
        const table = r.string();
        if (type === OP_PUT) ops.push({ type: 'put', table, key: r.bytes(), value: r.bytes() });
        else if (type === OP_DELETE) ops.push({ type: 'delete', table, key: r.bytes() });
        else if (type === OP_DELETE_RANGE) ops.push({ type: 'deleteRange', table, start: r.bytes(), end: r.bytes() });
        else throw new DecodeError(`unknown op type ${type}`, at);
      }
      record = { kind: 'batch', ops };
      break;
    }
    default:
      throw new DecodeError(`unknown record kind ${kind}`, 0);
  }
  r.expectEnd();
  return record;
}
