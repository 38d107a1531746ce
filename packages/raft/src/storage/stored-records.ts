// Encoders and decoders of the records RaftLogStorage keeps in its group's
// keys: snapshot metadata with its ConfState, the compaction point, and the
// entry-types table (docs/format/raft-storage.md). Encoders refuse values the
// format cannot hold with InvalidArgument. Decoders check every field and
// throw Corruption naming the record and the byte offset; they never return
// a value they could not fully verify.

import { ByteReader, ByteWriter, Corruption, DecodeError, InvalidArgument } from '@strata/engine';
import type { ConfState, EntryType, NodeId, SnapshotMeta } from '../types.js';
import { EntryTypes } from './entry-types.js';
import { MAX_STORED_ENTRY_TYPE, RAFT_STORAGE_VERSION } from './format.js';

/** An entry's position in the log: the compaction point is one. */
export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

function writer(): ByteWriter {
  return new ByteWriter(32).u8(RAFT_STORAGE_VERSION);
}

function uint(what: string, n: number, min = 0): number {
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgument(`${what} must be a safe integer of at least ${min}, got ${String(n)}`);
  return n;
}

function ids(w: ByteWriter, what: string, list: readonly NodeId[]): void {
  const given: unknown = list;
  if (!Array.isArray(given)) throw new InvalidArgument(`confState.${what} must be an array`);
  w.varint(list.length);
  for (const id of list) w.varint(uint(`a node id in confState.${what}`, id, 1));
}

export function encodeSnapshotMeta(meta: SnapshotMeta): Uint8Array {
  const w = writer().varint(uint('snapshot index', meta.index)).varint(uint('snapshot term', meta.term));
  const cs = meta.confState;
  ids(w, 'voters', cs.voters);
  ids(w, 'learners', cs.learners);
  ids(w, 'votersOutgoing', cs.votersOutgoing);
  ids(w, 'learnersNext', cs.learnersNext);
  if (typeof cs.autoLeave !== 'boolean') throw new InvalidArgument('confState.autoLeave must be a boolean');
  return w.u8(cs.autoLeave ? 1 : 0).finish();
}

export function encodeCompacted(p: LogPosition): Uint8Array {
  return writer().varint(p.index).varint(p.term).finish();
}

export function encodeEntryTypes(t: EntryTypes): Uint8Array {
  const w = writer().varint(t.size);
  let prev = 0;
  for (let k = 0; k < t.size; k++) {
    const index = t.indexes[k] as number;
    w.varint(index - prev).u8(t.types[k] as number);
    prev = index;
  }
  return w.finish();
}

/** Runs `read` over `bytes` (after checking the version byte), turning every DecodeError into Corruption at `where`. */
function decode<T>(bytes: Uint8Array, where: string, read: (r: ByteReader) => T): T {
  try {
    const r = new ByteReader(bytes);
    const version = r.u8();
    if (version !== RAFT_STORAGE_VERSION) throw new DecodeError(`unknown record version ${version}`, 0);
    const out = read(r);
    r.expectEnd();
    return out;
  } catch (err) {
    if (err instanceof DecodeError) throw new Corruption(where, err.position, err.message);
    throw err;
  }
}

function readIds(r: ByteReader): NodeId[] {
  const n = r.varint();
  const out: NodeId[] = [];
  for (let k = 0; k < n; k++) {
    const at = r.position;
    const id = r.varint();
    if (id === 0) throw new DecodeError('node id 0 in a configuration', at);
    out.push(id);
  }
  return out;
}

export function decodeSnapshotMeta(bytes: Uint8Array, where: string): SnapshotMeta {
  return decode(bytes, where, (r) => {
    const index = r.varint();
    const term = r.varint();
    const voters = readIds(r);
    const learners = readIds(r);
    const votersOutgoing = readIds(r);
    const learnersNext = readIds(r);
    const at = r.position;
    const flag = r.u8();
    if (flag > 1) throw new DecodeError(`autoLeave byte ${flag}`, at);
    const confState: ConfState = { voters, learners, votersOutgoing, learnersNext, autoLeave: flag === 1 };
    return { index, term, confState };
  });
}

export function decodeCompacted(bytes: Uint8Array, where: string): LogPosition {
  return decode(bytes, where, (r) => ({ index: r.varint(), term: r.varint() }));
}

export function decodeEntryTypes(bytes: Uint8Array, where: string): EntryTypes {
  return decode(bytes, where, (r) => {
    const n = r.varint();
    const indexes: number[] = [];
    const types: EntryType[] = [];
    let prev = 0;
    for (let k = 0; k < n; k++) {
      const at = r.position;
      const delta = r.varint();
      if (delta === 0) throw new DecodeError('entry indexes must ascend', at);
      const index = prev + delta;
      if (!Number.isSafeInteger(index)) throw new DecodeError('entry index out of range', at);
      const type = r.u8();
      if (type < 1 || type > MAX_STORED_ENTRY_TYPE) throw new DecodeError(`entry type ${type}`, r.position - 1);
      indexes.push(index);
      types.push(type);
      prev = index;
    }
    return new EntryTypes(indexes, types);
  });
}
