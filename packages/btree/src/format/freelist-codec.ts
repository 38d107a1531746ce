// The freelist payload (docs/format/btree.md, "Catalog and freelist"): a
// varint count, then the free page ids in ascending order as varint deltas
// (the first from 0). Pages freed but still pinned by readers are written as
// free: after a restart no reader holds them.

import { ByteReader, ByteWriter, Corruption, DecodeError, varintSize } from '@strata/engine';
import { FIRST_DATA_PAGE } from './format.js';

/** Encodes ids, which must be sorted ascending without repeats. */
export function encodeFreelist(ids: ArrayLike<number>): Uint8Array {
  const w = new ByteWriter(freelistSize(ids));
  w.varint(ids.length);
  let prev = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    w.varint(id - prev);
    prev = id;
  }
  return w.finish();
}

/** The encoded size of `ids` (sorted ascending), without encoding them. */
export function freelistSize(ids: ArrayLike<number>): number {
  let size = varintSize(ids.length);
  let prev = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    size += varintSize(id - prev);
    prev = id;
  }
  return size;
}

export function decodeFreelist(payload: Uint8Array, file: string, offset: number, pageCount: number): number[] {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `freelist: ${detail}`);
  };
  const ids: number[] = [];
  try {
    const r = new ByteReader(payload);
    const n = r.varint();
    if (n > pageCount) fail(`${n} free pages in a file of ${pageCount}`);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const d = r.varint();
      if (i > 0 && d === 0) fail(`page ${prev} listed twice`);
      const id = prev + d;
      if (id < FIRST_DATA_PAGE || id >= pageCount) fail(`free page ${id} outside the data pages`);
      ids.push(id);
      prev = id;
    }
    r.expectEnd();
  } catch (err) {
    if (err instanceof DecodeError) fail(err.message);
    throw err;
  }
  return ids;
}
