// A full consistency check of one version, like `bbolt check`: every page
// reachable from the catalog is read from the file and verified; leaves all
// sit at one depth; keys rise strictly across the whole table and stay inside
// the ranges their parents give them; no page is reachable twice or also
// free; and the catalog's key and byte counts match the leaves. The first
// problem is thrown as Corruption.

import { compareBytes, Corruption } from '@strata/engine';
import type { TableRoot } from '../format/catalog.js';
import { FIRST_DATA_PAGE } from '../format/format.js';
import type { Pager } from '../store/pager.js';
import { Overflow } from '../tree/node.js';

export interface CheckReport {
  /** Pages reachable from the catalog, overflow runs included. */
  readonly pages: number;
  /** Depth of each non-empty table (1 for a lone leaf). */
  readonly depth: Readonly<Record<string, number>>;
}

export function checkVersion(
  pager: Pager,
  tables: ReadonlyMap<string, TableRoot>,
  reserved: readonly (readonly [number, number])[],
  free: Iterable<number>,
  pageCount: number,
): CheckReport {
  const seen = new Set<number>();
  const fail = (pgid: number, detail: string): never => {
    throw new Corruption(pager.path, pgid * pager.pageSize, `check: page ${pgid}: ${detail}`);
  };
  const claim = (pgid: number, span: number, what: string): void => {
    for (let p = pgid; p < pgid + span; p++) {
      if (p < FIRST_DATA_PAGE || p >= pageCount) fail(p, `${what} outside the data pages`);
      if (seen.has(p)) fail(p, `${what} is reachable twice`);
      seen.add(p);
    }
  };
  for (const [pgid, span] of reserved) claim(pgid, span, 'catalog or freelist');
  const depth: Record<string, number> = {};
  for (const [name, root] of tables) {
    if (root.root === 0) continue;
    let leafDepth = -1;
    let keys = 0;
    let bytes = 0;
    let last: Uint8Array | undefined;
    const walk = (pgid: number, txid: number, lo: Uint8Array | undefined, hi: Uint8Array | undefined, level: number): void => {
      claim(pgid, 1, 'node');
      const n = pager.readNode(pgid, txid);
      if (n.keys.length === 0) fail(pgid, 'empty node');
      const first = n.keys[0] as Uint8Array;
      if (lo !== undefined && compareBytes(first, lo) < 0) fail(pgid, 'first key below its parent key');
      const lastKey = n.keys[n.keys.length - 1] as Uint8Array;
      if (hi !== undefined && compareBytes(lastKey, hi) >= 0) fail(pgid, "last key at or past the next parent key");
      if (n.leaf) {
        if (leafDepth === -1) leafDepth = level;
        if (leafDepth !== level) fail(pgid, `leaf at depth ${level}, others at ${leafDepth}`);
        for (let j = 0; j < n.keys.length; j++) {
          const k = n.keys[j] as Uint8Array;
          if (last !== undefined && compareBytes(last, k) >= 0) fail(pgid, 'keys out of order across leaves');
          last = k;
          const v = n.vals[j];
          if (v instanceof Overflow) {
            claim(v.pgid, v.span, 'overflow run');
            pager.checkOverflow(v);
          }
          keys++;
          bytes += k.length + (v?.length ?? 0);
        }
        return;
      }
      for (let i = 0; i < n.kids.length; i++) {
        walk(n.kids[i] as number, n.gens[i] as number, i === 0 ? lo : n.keys[i], n.keys[i + 1] ?? hi, level + 1);
      }
    };
    walk(root.root, root.txid, undefined, undefined, 1);
    if (keys !== root.keys || bytes !== root.bytes) {
      fail(root.root, `table ${JSON.stringify(name)} holds ${keys} keys and ${bytes} bytes; the catalog says ${root.keys} and ${root.bytes}`);
    }
    depth[name] = leafDepth;
  }
  for (const p of free) if (seen.has(p)) fail(p, 'free page is also in use');
  return { pages: seen.size, depth };
}
