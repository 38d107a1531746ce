// Internal keys: how the LSM orders every version of every key. A user's
// (table, key) pair becomes a *table key*, the table's 2-byte id (big-endian)
// followed by the key, so one tree holds every table and each table is a
// contiguous, bytewise-ordered range. An *internal key* appends an 8-byte
// trailer: the batch's sequence number (7 bytes, big-endian) and the entry's
// kind (1 byte). Internal keys order by table key ascending, then trailer
// descending, so the newest version of a key comes first.
// Part of the on-disk format (docs/format/sstable.md, docs/format/wal.md).

export { compareBytes } from '@strata/engine';

/** A batch sequence number. Invariant: 0 <= seq <= MAX_SEQ; 0 means "before any write". */
export type SeqNum = number & { readonly __brand: 'SeqNum' };

/** Largest sequence number (2^53 - 1: JS numbers stay exact, and 7 trailer bytes hold it). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER as SeqNum;
/** Bytes of the table-id prefix of a table key. */
export const TABLE_ID_SIZE = 2;
/** Largest table id. */
export const MAX_TABLE_ID = 0xffff;
/** Bytes of the trailer of an internal key: 7 of sequence number, 1 of kind. */
export const TRAILER_SIZE = 7 + 1;

/** What an entry records. Part of the format. */
export const Kind = { Delete: 0, Put: 1 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
/** The largest kind: a seek key with it sorts before every entry with the same table key and seq. */
export const KIND_MAX = Kind.Put;

export function isKind(k: number): k is Kind {
  return k === Kind.Delete || k === Kind.Put;
}

/** The table key of `key` in table `tableId`. */
export function tableKey(tableId: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(TABLE_ID_SIZE + key.length);
  out[0] = tableId >>> 8;
  out[1] = tableId & 0xff;
  out.set(key, TABLE_ID_SIZE);
  return out;
}

/** The prefix every table key of `tableId` starts with. */
export function tablePrefix(tableId: number): Uint8Array {
  return tableKey(tableId, new Uint8Array(0));
}

/** The internal key (tkey, seq, kind). */
export function internalKey(tkey: Uint8Array, seq: number, kind: Kind): Uint8Array {
  const out = new Uint8Array(tkey.length + TRAILER_SIZE);
  out.set(tkey, 0);
  writeTrailer(out, tkey.length, seq, kind);
  return out;
}

/** Writes the trailer of (seq, kind) at `pos` of `out`. */
export function writeTrailer(out: Uint8Array, pos: number, seq: number, kind: Kind): void {
  const hi = Math.floor(seq / 0x1_0000_0000);
  const lo = seq >>> 0;
  out[pos] = hi >>> 16;
  out[pos + 1] = hi >>> 8;
  out[pos + 2] = hi;
  out[pos + 3] = lo >>> 24;
  out[pos + 4] = lo >>> 16;
  out[pos + 5] = lo >>> 8;
  out[pos + 6] = lo;
  out[pos + 7] = kind;
}

/** The table key of an internal key (a view). */
export function tableKeyOf(ikey: Uint8Array): Uint8Array {
  return ikey.subarray(0, ikey.length - TRAILER_SIZE);
}

/** The sequence number of an internal key. */
export function seqOf(ikey: Uint8Array): SeqNum {
  return seqAt(ikey, ikey.length - TRAILER_SIZE);
}

/** The sequence number in the trailer that starts at `p` of `b`. */
export function seqAt(b: Uint8Array, p: number): SeqNum {
  const hi = ((b[p] as number) << 16) | ((b[p + 1] as number) << 8) | (b[p + 2] as number);
  const lo = (((b[p + 3] as number) << 24) | ((b[p + 4] as number) << 16) | ((b[p + 5] as number) << 8) | (b[p + 6] as number)) >>> 0;
  return (hi * 0x1_0000_0000 + lo) as SeqNum;
}

/** The kind byte of an internal key (check it with isKind before trusting it). */
export function kindOf(ikey: Uint8Array): number {
  return ikey[ikey.length - 1] as number;
}

/** Bytewise order of a[aStart, aEnd) and b[bStart, bEnd), without allocating views. */
export function compareRange(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const la = aEnd - aStart;
  const lb = bEnd - bStart;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Internal-key order: table key ascending, then (seq, kind) descending. */
export function compareInternal(a: Uint8Array, b: Uint8Array): number {
  const ak = a.length - TRAILER_SIZE;
  const bk = b.length - TRAILER_SIZE;
  const c = compareRange(a, 0, ak, b, 0, bk);
  if (c !== 0) return c;
  // Trailers are big-endian, so descending trailer order is reversed bytewise order.
  return compareRange(b, bk, b.length, a, ak, a.length);
}

/** The internal key that sorts first among entries of `tkey` visible at `seq`. */
export function seekKey(tkey: Uint8Array, seq: number): Uint8Array {
  return internalKey(tkey, seq, KIND_MAX);
}
