// The meta page (docs/format/btree.md, "Meta pages"): pages 0, 1 and 2 are
// slots, each holding a whole meta or a torn/stale one. A meta names one
// committed version: its txid, the catalog run (table roots), the freelist
// run, the file's page count, and the txid that was durable when it was
// written. Recovery (db/recovery.ts) decides which slot to trust.

import type { Checksum } from '@strata/engine';
import {
  FIRST_DATA_PAGE,
  FORMAT_VERSION,
  isValidPageSize,
  MAGIC,
  META_CATALOG,
  META_DURABLE_TXID,
  META_END,
  META_FREELIST,
  META_MAGIC,
  META_PAGE_COUNT,
  META_PAGE_SIZE,
  META_TXID_LEASE,
  META_VERSION,
  PageType,
} from './format.js';
import { checksumOk, getU64, readHeader, seal, setU64, writeHeader } from './page.js';

/** A run of pages some structure lives in; pgid 0 means none. */
export interface RunRef {
  readonly pgid: number;
  readonly span: number;
  readonly txid: number;
}

export const NO_RUN: RunRef = Object.freeze({ pgid: 0, span: 0, txid: 0 });

export interface Meta {
  /** The meta slot (0, 1 or 2) this meta lives in. */
  readonly slot: number;
  readonly txid: number;
  readonly pageSize: number;
  /** Pages in use: every page id is below it. */
  readonly pageCount: number;
  /**
   * The newest txid known durable when this meta was written. Every page a
   * later txid wrote may be missing after a power loss; pages at or below it
   * were synced and are never overwritten while this meta may be needed.
   */
  readonly durableTxid: number;
  readonly catalog: RunRef;
  readonly freelist: RunRef;
  /** No page is stamped with a txid above the lease of the last durable meta (see TXID_LEASE). */
  readonly txidLease: number;
}

function putRun(view: DataView, at: number, r: RunRef): void {
  view.setUint32(at, r.pgid, true);
  view.setUint32(at + 4, r.span, true);
  setU64(view, at + 8, r.txid);
}

function getRun(view: DataView, at: number): RunRef {
  return { pgid: view.getUint32(at, true), span: view.getUint32(at + 4, true), txid: getU64(view, at + 8) };
}

export function encodeMeta(m: Meta, checksum: Checksum): Uint8Array {
  const page = new Uint8Array(m.pageSize);
  const view = new DataView(page.buffer);
  writeHeader(view, { type: PageType.Meta, flags: 0, count: 0, pgid: m.slot, span: 1, txid: m.txid });
  view.setUint32(META_MAGIC, MAGIC, true);
  view.setUint32(META_VERSION, FORMAT_VERSION, true);
  view.setUint32(META_PAGE_SIZE, m.pageSize, true);
  view.setUint32(META_PAGE_COUNT, m.pageCount, true);
  setU64(view, META_DURABLE_TXID, m.durableTxid);
  putRun(view, META_CATALOG, m.catalog);
  putRun(view, META_FREELIST, m.freelist);
  setU64(view, META_TXID_LEASE, m.txidLease);
  seal(page, checksum);
  return page;
}

/** The page size a meta page claims, read before its checksum can be checked; undefined if implausible. */
export function claimedPageSize(bytes: Uint8Array): number | undefined {
  if (bytes.length < META_END) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(META_MAGIC, true) !== MAGIC) return undefined;
  const size = view.getUint32(META_PAGE_SIZE, true);
  return isValidPageSize(size) ? size : undefined;
}

/** Why a meta slot was not accepted. */
export type MetaProblem = 'short' | 'checksum' | 'magic' | 'version' | 'slot' | 'page size' | 'fields';

/** Decodes the meta in `page` (exactly one page, read from slot `slot`), or says why it is not valid. */
export function decodeMeta(page: Uint8Array, slot: number, checksum: Checksum): Meta | MetaProblem {
  if (page.length < META_END) return 'short';
  if (!checksumOk(page, checksum)) return 'checksum';
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (view.getUint32(META_MAGIC, true) !== MAGIC) return 'magic';
  if (view.getUint32(META_VERSION, true) !== FORMAT_VERSION) return 'version';
  const h = readHeader(view);
  if (h.type !== PageType.Meta || h.pgid !== slot || h.span !== 1) return 'slot';
  const pageSize = view.getUint32(META_PAGE_SIZE, true);
  if (pageSize !== page.length) return 'page size';
  const m: Meta = {
    slot,
    txid: h.txid,
    pageSize,
    pageCount: view.getUint32(META_PAGE_COUNT, true),
    durableTxid: getU64(view, META_DURABLE_TXID),
    catalog: getRun(view, META_CATALOG),
    freelist: getRun(view, META_FREELIST),
    txidLease: getU64(view, META_TXID_LEASE),
  };
  const runOk = (r: RunRef): boolean => r.pgid >= FIRST_DATA_PAGE && r.span >= 1 && r.pgid + r.span <= m.pageCount && r.txid <= m.txid;
  if (m.durableTxid > m.txid || m.txidLease < m.txid || !runOk(m.catalog) || !runOk(m.freelist)) return 'fields';
  return m;
}
