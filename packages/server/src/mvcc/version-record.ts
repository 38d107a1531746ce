// One stored version of a key (docs/format/server-mvcc.md): flags (bit 0:
// tombstone), create revision, version, lease (u64), then the value.
// Varints via @strata/engine's codec; a record that does not decode is
// Corruption.

import { ByteReader, ByteWriter, Corruption } from '@strata/engine';

export interface Version {
  readonly key: Uint8Array;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: bigint;
  readonly value: Uint8Array;
  readonly tombstone: boolean;
}

export function encodeVersion(v: Version): Uint8Array {
  const w = new ByteWriter(v.value.length + 32);
  w.u8(v.tombstone ? 1 : 0);
  w.varint(v.createRevision);
  w.varint(v.version);
  const lease = new Uint8Array(8);
  new DataView(lease.buffer).setBigUint64(0, v.lease);
  w.raw(lease);
  w.raw(v.value);
  return w.finish().slice();
}

export function decodeVersion(key: Uint8Array, modRevision: number, b: Uint8Array, where: string): Version {
  try {
    const r = new ByteReader(b);
    const flags = r.u8();
    const createRevision = r.varint();
    const version = r.varint();
    const at = r.position;
    if (at + 8 > b.length) throw new Error('record ends inside the lease');
    const lease = new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0);
    return { key, modRevision, createRevision, version, lease, value: b.subarray(at + 8), tombstone: (flags & 1) === 1 };
  } catch (err) {
    throw new Corruption(where, 0, `bad MVCC version record: ${(err as Error).message}`);
  }
}
