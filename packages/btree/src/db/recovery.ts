// Choosing the version to open (docs/format/btree.md, "Recovery"). All three
// meta slots are read. A meta records the newest txid that was durable when it
// was written; the largest such txid among the valid metas is a floor no
// recovered version may fall below (that version was synced and its pages are
// never overwritten while a newer meta may need them). Valid metas at or above
// the floor are tried newest first; the first whose pages written after its
// durable txid all check out is taken (those are the only pages a power loss
// can have lost). A process crash loses nothing, so there the newest meta
// always checks out.

import { Corruption, type Checksum } from '@strata/engine';
import type { File } from '@strata/vfs';
import { decodeCatalog, type TableRoot } from '../format/catalog.js';
import { isValidPageSize, MAX_PAGE_SIZE, META_SLOTS, MIN_PAGE_SIZE, PageType } from '../format/format.js';
import { decodeFreelist } from '../format/freelist-codec.js';
import { claimedPageSize, decodeMeta, type Meta, type MetaProblem } from '../format/meta.js';
import type { Pager } from '../store/pager.js';
import { Overflow } from '../tree/node.js';

export interface Recovered {
  readonly meta: Meta;
  readonly catalog: Map<string, TableRoot>;
  readonly free: number[];
  /** The newest meta failed its check and an older one was taken. */
  readonly fellBack: boolean;
}

/** The valid metas of a data file, newest first. */
export function readMetas(file: File, path: string, checksum: Checksum): Meta[] {
  const size = file.size();
  const first = file.read(0, Math.min(size, MAX_PAGE_SIZE));
  const claimed = claimedPageSize(first);
  const problems: string[] = [];
  // The page size comes from slot 0 if it is readable, else from whichever size makes the other slots valid.
  const sizes: number[] = claimed !== undefined ? [claimed] : [];
  for (let p = MIN_PAGE_SIZE; p <= MAX_PAGE_SIZE; p *= 2) if (p !== claimed && isValidPageSize(p)) sizes.push(p);
  for (const p of sizes) {
    const found: Meta[] = [];
    for (let slot = 0; slot < META_SLOTS; slot++) {
      if (size < (slot + 1) * p) {
        problems.push(`slot ${slot}: past the end`);
        continue;
      }
      const m: Meta | MetaProblem = decodeMeta(slot === 0 ? first.subarray(0, p) : file.read(slot * p, p), slot, checksum);
      if (typeof m === 'string') problems.push(`slot ${slot}: ${m}`);
      else found.push(m);
    }
    if (found.length > 0) return found.sort((a, b) => b.txid - a.txid);
    if (p === claimed) problems.push(`with ${p}-byte pages`);
  }
  throw new Corruption(path, 0, `no valid meta page (${problems.slice(0, 4).join(', ') || 'file too short'})`);
}

/** Reads the catalog and freelist of `meta` and checks every page written after its durable txid. */
function check(pager: Pager, meta: Meta): { catalog: Map<string, TableRoot>; free: number[] } {
  const catalogAt = meta.catalog.pgid * meta.pageSize;
  const catalog = decodeCatalog(pager.blob(meta.catalog, PageType.Catalog), pager.path, catalogAt, meta.pageCount, meta.txid);
  const freeAt = meta.freelist.pgid * meta.pageSize;
  const free = decodeFreelist(pager.blob(meta.freelist, PageType.Freelist), pager.path, freeAt, meta.pageCount);
  const since = meta.durableTxid;
  const walk = (pgid: number, txid: number): void => {
    if (txid <= since) return;
    if (pgid >= meta.pageCount) throw new Corruption(pager.path, pgid * meta.pageSize, `page ${pgid} is past the file's ${meta.pageCount} pages`);
    const n = pager.node(pgid, txid);
    if (n.leaf) {
      for (const v of n.vals) if (v instanceof Overflow && v.txid > since) pager.checkOverflow(v);
    } else {
      for (let i = 0; i < n.kids.length; i++) walk(n.kids[i] as number, n.gens[i] as number);
    }
  };
  for (const t of catalog.values()) if (t.root !== 0) walk(t.root, t.txid);
  return { catalog, free };
}

/** Picks and checks the version to open; `pager` reads the file with its page size. */
export function recover(metas: readonly Meta[], pager: Pager): Recovered {
  const floor = Math.max(...metas.map((m) => m.durableTxid));
  let firstError: Corruption | undefined;
  for (const [i, m] of metas.entries()) {
    if (m.txid < floor) break;
    try {
      return { meta: m, ...check(pager, m), fellBack: i > 0 };
    } catch (err) {
      if (!(err instanceof Corruption)) throw err;
      firstError ??= err;
      // Drop anything the failed candidate put in the cache: its txids may be reused.
      pager.cache.clear();
    }
  }
  throw firstError ?? new Corruption(pager.path, 0, `no meta at or above durable txid ${floor}`);
}
