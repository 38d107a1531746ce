// The catalog payload (docs/format/btree.md, "Catalog and freelist"): every
// table's root page and txid, with its live key count and user bytes (key
// plus value lengths), sorted by name. Tables found on disk but not declared
// at open are carried along unchanged.

import { ByteReader, ByteWriter, Corruption, DecodeError } from '@strata/engine';
import { FIRST_DATA_PAGE } from './format.js';

export interface TableRoot {
  /** Root page id; 0 for an empty table. */
  readonly root: number;
  /** The txid that wrote the root page (0 when empty). */
  readonly txid: number;
  /** Live keys. */
  readonly keys: number;
  /** Live user bytes: the sum of key and value lengths. */
  readonly bytes: number;
}

export const EMPTY_TABLE: TableRoot = Object.freeze({ root: 0, txid: 0, keys: 0, bytes: 0 });

export function encodeCatalog(tables: ReadonlyMap<string, TableRoot>): Uint8Array {
  const w = new ByteWriter(64 * tables.size + 8);
  const names = [...tables.keys()].sort();
  w.varint(names.length);
  for (const name of names) {
    const t = tables.get(name) as TableRoot;
    w.string(name).varint(t.root).varint(t.txid).varint(t.keys).varint(t.bytes);
  }
  return w.finish();
}

export function decodeCatalog(payload: Uint8Array, file: string, offset: number, pageCount: number, txid: number): Map<string, TableRoot> {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `catalog: ${detail}`);
  };
  const out = new Map<string, TableRoot>();
  try {
    const r = new ByteReader(payload);
    const n = r.varint();
    for (let i = 0; i < n; i++) {
      const name = r.string();
      const t: TableRoot = { root: r.varint(), txid: r.varint(), keys: r.varint(), bytes: r.varint() };
      if (out.has(name)) fail(`table ${JSON.stringify(name)} listed twice`);
      if (t.root !== 0 && (t.root < FIRST_DATA_PAGE || t.root >= pageCount)) fail(`table ${JSON.stringify(name)} has root page ${t.root} outside the file`);
      if (t.txid > txid) fail(`table ${JSON.stringify(name)} has root txid ${t.txid}, newer than the catalog's ${txid}`);
      if (t.root === 0 && t.keys !== 0) fail(`empty table ${JSON.stringify(name)} counts ${t.keys} keys`);
      out.set(name, t);
    }
    r.expectEnd();
  } catch (err) {
    if (err instanceof DecodeError) fail(err.message);
    throw err;
  }
  return out;
}
