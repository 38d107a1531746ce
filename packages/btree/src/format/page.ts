// The page header every run of pages starts with, and the checksum that seals
// a run (docs/format/btree.md, "Pages"). A run is one page or, for overflow
// values and large blobs, `span` contiguous pages written and checked as one.
// Checking a run verifies its checksum and that it is the page the caller
// expected (id, type, span and the txid its parent recorded), so a stale page
// left over from an older version reads as Corruption, never as data.

import { Corruption, type Checksum } from '@strata/engine';
import {
  CHECKSUM_SEED,
  HDR_CHECKSUM,
  HDR_COUNT,
  HDR_FLAGS,
  HDR_PGID,
  HDR_SPAN,
  HDR_TXID,
  HDR_TYPE,
  PAGE_HEADER_SIZE,
  type PageType,
} from './format.js';

const TWO_32 = 2 ** 32;

export interface PageHeader {
  readonly type: PageType;
  readonly flags: number;
  readonly count: number;
  readonly pgid: number;
  readonly span: number;
  readonly txid: number;
}

export function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
}

export function setU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

export function writeHeader(view: DataView, h: PageHeader): void {
  view.setUint8(HDR_TYPE, h.type);
  view.setUint8(HDR_FLAGS, h.flags);
  view.setUint16(HDR_COUNT, h.count, true);
  view.setUint32(HDR_PGID, h.pgid, true);
  view.setUint32(HDR_SPAN, h.span, true);
  setU64(view, HDR_TXID, h.txid);
}

export function readHeader(view: DataView): PageHeader {
  return {
    type: view.getUint8(HDR_TYPE) as PageType,
    flags: view.getUint8(HDR_FLAGS),
    count: view.getUint16(HDR_COUNT, true),
    pgid: view.getUint32(HDR_PGID, true),
    span: view.getUint32(HDR_SPAN, true),
    txid: getU64(view, HDR_TXID),
  };
}

/** Fills in the checksum of a run whose header and body are written. */
export function seal(run: Uint8Array, checksum: Checksum): void {
  const sum = checksum.xxh32(run.subarray(HDR_CHECKSUM + 4), CHECKSUM_SEED);
  new DataView(run.buffer, run.byteOffset, run.byteLength).setUint32(HDR_CHECKSUM, sum, true);
}

/** True if the run's stored checksum matches its bytes. */
export function checksumOk(run: Uint8Array, checksum: Checksum): boolean {
  if (run.length < PAGE_HEADER_SIZE) return false;
  const stored = new DataView(run.buffer, run.byteOffset, run.byteLength).getUint32(HDR_CHECKSUM, true);
  return checksum.xxh32(run.subarray(HDR_CHECKSUM + 4), CHECKSUM_SEED) === stored;
}

/** What a reader expects to find at a page id. */
export interface Expect {
  readonly pgid: number;
  readonly span: number;
  /** The txid that wrote the run, as recorded by whoever points at it. */
  readonly txid: number;
  /** Acceptable types. */
  readonly types: readonly PageType[];
}

/**
 * Checks a run read from `file` at `offset` and returns its header; throws
 * Corruption naming the file and offset on any mismatch.
 */
export function verifyRun(run: Uint8Array, expect: Expect, checksum: Checksum, file: string, offset: number): PageHeader {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `page ${expect.pgid}: ${detail}`);
  };
  if (run.length < PAGE_HEADER_SIZE) fail(`short read of ${run.length} bytes`);
  if (!checksumOk(run, checksum)) fail('checksum mismatch');
  const h = readHeader(new DataView(run.buffer, run.byteOffset, run.byteLength));
  if (h.pgid !== expect.pgid) fail(`header names page ${h.pgid}`);
  if (h.span !== expect.span) fail(`span ${h.span}, expected ${expect.span}`);
  if (h.txid !== expect.txid) fail(`written by txid ${h.txid}, expected ${expect.txid}`);
  if (!expect.types.includes(h.type)) fail(`type ${h.type}, expected ${expect.types.join(' or ')}`);
  return h;
}
