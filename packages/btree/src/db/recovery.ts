// Choosing the version to open (docs/format/btree.md, "Recovery"). Both meta
// slots are read; the newest valid one is taken if every page it reaches
// that was written after its durableTxid checks out (those are the only pages
// a power loss can have lost: older ones were synced and are never
// overwritten while a meta that needs them may be recovered). Otherwise the
// other slot, which must hold exactly that durable txid, is taken. A process
// crash loses nothing, so there the newest meta always checks out.

import { Corruption, type Checksum } from '@strata/engine';
import type { File } from '@strata/vfs';
import { decodeCatalog, type TableRoot } from '../format/catalog.js';
import { isValidPageSize, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PageType } from '../format/format.js';
import { decodeFreelist } from '../format/freelist-codec.js';
import { claimedPageSize, decodeMeta, type Meta, type MetaProblem } from '../format/meta.js';
import type { Pager } from '../store/pager.js';
import { Overflow } from '../tree/node.js';

export interface Recovered {
  readonly meta: Meta;
  readonly catalog: Map<string, TableRoot>;
  readonly free: number[];
  /** The newest meta failed its check and the durable one was taken. */
  readonly fellBack: boolean;
}

/** The valid metas of a data file (zero, one or two), newest first. */
export function readMetas(file: File, path: string, checksum: Checksum): Meta[] {
  const size = file.size();
  const first = file.read(0, Math.min(size, MAX_PAGE_SIZE));
  const claimed = claimedPageSize(first);
  const found: Meta[] = [];
  const problems: string[] = [];
  const take = (m: Meta | MetaProblem, slot: number): boolean => {
    if (typeof m === 'string') {
      problems.push(`slot ${slot}: ${m}`);
      return false;
    }
    found.push(m);
    return true;
  };
  if (claimed !== undefined && first.length >= claimed) take(decodeMeta(first.subarray(0, claimed), 0, checksum), 0);
  const sizes: number[] = claimed !== undefined ? [claimed] : [];
  for (let p = MIN_PAGE_SIZE; p <= MAX_PAGE_SIZE; p *= 2) if (p !== claimed && isValidPageSize(p)) sizes.push(p);
  for (const p of sizes) {
    if (size < 2 * p) continue;
    const m = decodeMeta(file.read(p, p), 1, checksum);
    if (typeof m !== 'string') {
      found.push(m);
      break;
    }
  }
  if (found.length === 2 && found[0]?.pageSize !== found[1]?.pageSize) {
    throw new Corruption(path, 0, `meta slots disagree on the page size (${found[0]?.pageSize} and ${found[1]?.pageSize})`);
  }
  if (found.length === 0) throw new Corruption(path, 0, `no valid meta page (${problems.join(', ') || 'file too short'})`);
  return found.sort((a, b) => b.txid - a.txid);
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

/** Picks and checks the version to open; `pagerFor` builds a pager for the file's page size. */
export function recover(metas: readonly Meta[], pagerFor: (pageSize: number) => Pager): Recovered {
  const newest = metas[0] as Meta;
  const pager = pagerFor(newest.pageSize);
  try {
    return { meta: newest, ...check(pager, newest), fellBack: false };
  } catch (err) {
    if (!(err instanceof Corruption)) throw err;
    const durable = metas[1];
    if (durable === undefined || durable.txid !== newest.durableTxid || newest.durableTxid === newest.txid) throw err;
    // The newest version lost pages to a power loss (or was damaged); its durable predecessor must be whole.
    pager.cache.clear();
    return { meta: durable, ...check(pager, durable), fellBack: true };
  }
}
