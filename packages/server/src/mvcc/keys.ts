// Key encodings of the MVCC tables (docs/format/server-mvcc.md). A user key
// is escaped so that it is prefix-free and keeps its byte order (0x00 →
// 0x00 0xFF, then a 0x00 0x01 terminator), and followed by its revision
// inverted, so a key's versions sort newest first and "the newest version
// at or below R" is the first entry at or after (key, R). Revisions are
// 8-byte big-endian; they stay below 2^53.

import { Corruption } from '@strata/engine';

export const REV_SIZE = 8;

export function encodeUserKey(key: Uint8Array, extra = 0): Uint8Array {
  let zeros = 0;
  for (const b of key) if (b === 0) zeros++;
  const out = new Uint8Array(key.length + zeros + 2 + extra);
  let o = 0;
  for (const b of key) {
    out[o++] = b;
    if (b === 0) out[o++] = 0xff;
  }
  out[o] = 0;
  out[o + 1] = 1;
  return out;
}

/** The user key at the front of `enc` and the position after its terminator. */
export function decodeUserKey(enc: Uint8Array, where: string): { key: Uint8Array; end: number } {
  const out: number[] = [];
  for (let i = 0; i < enc.length; i++) {
    const b = enc[i] ?? 0;
    if (b !== 0) {
      out.push(b);
      continue;
    }
    const next = enc[i + 1];
    if (next === 0xff) {
      out.push(0);
      i++;
    } else if (next === 1) return { key: Uint8Array.from(out), end: i + 2 };
    else break;
  }
  throw new Corruption(where, 0, 'an MVCC key is not a valid escaped user key');
}

function putRev(out: Uint8Array, at: number, rev: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(at, BigInt(rev));
}

/** (user key, revision) in the versions table: newest first within a key. */
export function versionKey(key: Uint8Array, rev: number): Uint8Array {
  const out = encodeUserKey(key, REV_SIZE);
  putRev(out, out.length - REV_SIZE, Number.MAX_SAFE_INTEGER - rev);
  return out;
}

export function versionKeyRev(vk: Uint8Array): number {
  const v = new DataView(vk.buffer, vk.byteOffset, vk.byteLength).getBigUint64(vk.length - REV_SIZE);
  return Number.MAX_SAFE_INTEGER - Number(v);
}

/** The escaped user key part of a versions-table key (shared by all its versions). */
export function versionKeyPrefix(vk: Uint8Array): Uint8Array {
  return vk.subarray(0, vk.length - REV_SIZE);
}

/** (revision, sub) in the revisions table: commit order. */
export function revisionKey(rev: number, sub: number): Uint8Array {
  const out = new Uint8Array(REV_SIZE + 4);
  putRev(out, 0, rev);
  new DataView(out.buffer).setUint32(REV_SIZE, sub);
  return out;
}

export function revisionKeyRev(rk: Uint8Array): number {
  return Number(new DataView(rk.buffer, rk.byteOffset, rk.byteLength).getBigUint64(0));
}

export function u64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export function readU64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0);
}
