// Point reads over one committed version: root to leaf, one page per level,
// each verified and counted by the pager. Returns a fresh copy of the value.

import { bytesEqual } from '@strata/engine';
import type { TableRoot } from '../format/catalog.js';
import type { Pager } from '../store/pager.js';
import { childIndex, lowerBound, Overflow, type Val } from './node.js';

export interface LookupCounters {
  /** Point gets that reached the tree. */
  gets: number;
  /** Node pages visited by those gets (the tree's depth per get). */
  pagesTouched: number;
}

/** The value of `key` in the tree rooted at `root`, or undefined. */
export function lookup(pager: Pager, root: TableRoot, key: Uint8Array, counters: LookupCounters): Uint8Array | undefined {
  counters.gets++;
  if (root.root === 0) return undefined;
  let pgid = root.root;
  let txid = root.txid;
  for (;;) {
    counters.pagesTouched++;
    const n = pager.node(pgid, txid);
    if (n.leaf) {
      const j = lowerBound(n.keys, key);
      if (j >= n.keys.length || !bytesEqual(n.keys[j] as Uint8Array, key)) return undefined;
      return materializeVal(pager, n.vals[j] as Val);
    }
    const i = childIndex(n.keys, key);
    pgid = n.kids[i] as number;
    txid = n.gens[i] as number;
  }
}

/** A value as bytes the caller may keep. */
export function materializeVal(pager: Pager, v: Val): Uint8Array {
  return v instanceof Overflow ? pager.overflow(v) : v.slice();
}
