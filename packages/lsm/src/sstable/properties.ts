// Table properties: counts and key bounds a table's writer records in its
// properties block (docs/format/sstable.md, "Properties block"), read back
// whole at open. Sizes that the footer already implies (index, filter, file)
// are not stored; the reader derives them, so they cannot disagree.

import { ByteReader, ByteWriter, Corruption, DecodeError } from '@strata/engine';
import { compareBytes, compareInternal, MAX_SEQ, TABLE_ID_SIZE, TRAILER_SIZE, type SeqNum } from '../keys/internal-key.js';

export interface TableProperties {
  /** Point entries (puts and point deletions). */
  readonly entries: number;
  /** Point entries of kind Delete. */
  readonly deletions: number;
  readonly rangeTombstones: number;
  /** Sum of internal-key and value lengths of the point entries, before prefix compression. */
  readonly rawKeyBytes: number;
  readonly rawValueBytes: number;
  readonly dataBlocks: number;
  /** Data blocks as stored (compressed payloads and trailers). */
  readonly dataBytes: number;
  /** Stored size of the index and filter blocks, trailers included (0 if no filter); derived from the footer. */
  readonly indexBytes: number;
  readonly filterBytes: number;
  readonly fileSize: number;
  /** First and last point entry's internal key; undefined when the table has no point entries. */
  readonly smallestPoint: Uint8Array | undefined;
  readonly largestPoint: Uint8Array | undefined;
  /** Sequence number bounds over points and tombstones; both 0 for an empty table. */
  readonly smallestSeq: SeqNum;
  readonly largestSeq: SeqNum;
  /** Smallest tombstone start and largest tombstone end (table keys); undefined without tombstones. */
  readonly smallestTombstoneStart: Uint8Array | undefined;
  readonly largestTombstoneEnd: Uint8Array | undefined;
  /** Data blocks stored lz4-compressed and stored raw. Invariant: their sum is dataBlocks. */
  readonly compressedBlocks: number;
  readonly uncompressedBlocks: number;
}

/** The properties the block stores: all but the footer-derived sizes. */
export type StoredProperties = Omit<TableProperties, 'indexBytes' | 'filterBytes' | 'fileSize'>;

const HAS_POINTS = 1;
const HAS_TOMBSTONES = 2;

/** The properties block payload. */
export function encodeProperties(p: StoredProperties): Uint8Array {
  const w = new ByteWriter(128);
  const hasPoints = p.smallestPoint !== undefined && p.largestPoint !== undefined;
  const hasTombstones = p.smallestTombstoneStart !== undefined && p.largestTombstoneEnd !== undefined;
  w.u8((hasPoints ? HAS_POINTS : 0) | (hasTombstones ? HAS_TOMBSTONES : 0));
  w.varint(p.entries).varint(p.deletions).varint(p.rangeTombstones);
  w.varint(p.rawKeyBytes).varint(p.rawValueBytes);
  w.varint(p.dataBlocks).varint(p.dataBytes).varint(p.compressedBlocks).varint(p.uncompressedBlocks);
  w.varint(p.smallestSeq).varint(p.largestSeq);
  if (p.smallestPoint !== undefined && p.largestPoint !== undefined) w.bytes(p.smallestPoint).bytes(p.largestPoint);
  if (p.smallestTombstoneStart !== undefined && p.largestTombstoneEnd !== undefined) w.bytes(p.smallestTombstoneStart).bytes(p.largestTombstoneEnd);
  return w.finish().slice();
}

/** Decodes and sanity-checks a properties block payload; Corruption at `offset` of `file` if it does not hold. */
export function decodeProperties(payload: Uint8Array, file: string, offset: number): StoredProperties {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `properties: ${detail}`);
  };
  try {
    const r = new ByteReader(payload);
    const flags = r.u8();
    if ((flags & ~(HAS_POINTS | HAS_TOMBSTONES)) !== 0) fail(`unknown flags ${flags}`);
    const entries = r.varint();
    const deletions = r.varint();
    const rangeTombstones = r.varint();
    const rawKeyBytes = r.varint();
    const rawValueBytes = r.varint();
    const dataBlocks = r.varint();
    const dataBytes = r.varint();
    const compressedBlocks = r.varint();
    const uncompressedBlocks = r.varint();
    const smallestSeq = r.varint();
    const largestSeq = r.varint();
    let smallestPoint: Uint8Array | undefined;
    let largestPoint: Uint8Array | undefined;
    let smallestTombstoneStart: Uint8Array | undefined;
    let largestTombstoneEnd: Uint8Array | undefined;
    if ((flags & HAS_POINTS) !== 0) {
      smallestPoint = r.bytes().slice();
      largestPoint = r.bytes().slice();
      if (smallestPoint.length < TABLE_ID_SIZE + TRAILER_SIZE || largestPoint.length < TABLE_ID_SIZE + TRAILER_SIZE) fail('point bound shorter than an internal key');
      if (compareInternal(smallestPoint, largestPoint) > 0) fail('smallest point is after largest point');
    }
    if ((flags & HAS_TOMBSTONES) !== 0) {
      smallestTombstoneStart = r.bytes().slice();
      largestTombstoneEnd = r.bytes().slice();
      if (compareBytes(smallestTombstoneStart, largestTombstoneEnd) >= 0) fail('tombstone bounds are empty');
    }
    r.expectEnd();
    if ((entries > 0) !== (smallestPoint !== undefined)) fail(`${entries} entries but point bounds ${smallestPoint === undefined ? 'absent' : 'present'}`);
    if ((rangeTombstones > 0) !== (smallestTombstoneStart !== undefined)) fail(`${rangeTombstones} tombstones but bounds ${smallestTombstoneStart === undefined ? 'absent' : 'present'}`);
    if (deletions > entries) fail(`${deletions} deletions among ${entries} entries`);
    if (compressedBlocks + uncompressedBlocks !== dataBlocks) fail(`${compressedBlocks} + ${uncompressedBlocks} blocks is not ${dataBlocks}`);
    if (smallestSeq > largestSeq || largestSeq > MAX_SEQ) fail(`sequence bounds ${smallestSeq}..${largestSeq}`);
    return {
      entries,
      deletions,
      rangeTombstones,
      rawKeyBytes,
      rawValueBytes,
      dataBlocks,
      dataBytes,
      smallestPoint,
      largestPoint,
      smallestSeq: smallestSeq as SeqNum,
      largestSeq: largestSeq as SeqNum,
      smallestTombstoneStart,
      largestTombstoneEnd,
      compressedBlocks,
      uncompressedBlocks,
    };
  } catch (err) {
    if (err instanceof DecodeError) fail(err.message);
    throw err;
  }
}
