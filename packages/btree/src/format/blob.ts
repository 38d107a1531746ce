// Blob runs (docs/format/btree.md, "Catalog and freelist"): a page header,
// a u32 payload length, then the payload, over as many pages as it needs.
// The catalog and the freelist are each rewritten whole by every commit.

import { Corruption, type Checksum } from '@strata/engine';
import { BLOB_LENGTH, BLOB_PAYLOAD, type PageType } from './format.js';
import { seal, writeHeader, type PageHeader } from './page.js';

/** Pages a blob of `length` payload bytes needs. */
export function blobSpan(length: number, pageSize: number): number {
  return Math.max(1, Math.ceil((BLOB_PAYLOAD + length) / pageSize));
}

export function encodeBlob(
  type: PageType,
  payload: Uint8Array,
  run: { readonly pgid: number; readonly span: number; readonly txid: number },
  pageSize: number,
  checksum: Checksum,
): Uint8Array {
  const bytes = new Uint8Array(run.span * pageSize);
  if (BLOB_PAYLOAD + payload.length > bytes.length) throw new RangeError(`blob of ${payload.length} bytes does not fit ${run.span} pages`);
  const view = new DataView(bytes.buffer);
  writeHeader(view, { type, flags: 0, count: 0, pgid: run.pgid, span: run.span, txid: run.txid });
  view.setUint32(BLOB_LENGTH, payload.length, true);
  bytes.set(payload, BLOB_PAYLOAD);
  seal(bytes, checksum);
  return bytes;
}

/** The payload of a verified blob run. */
export function decodeBlob(run: Uint8Array, header: PageHeader, file: string, offset: number): Uint8Array {
  const length = new DataView(run.buffer, run.byteOffset, run.byteLength).getUint32(BLOB_LENGTH, true);
  if (BLOB_PAYLOAD + length > run.length) throw new Corruption(file, offset, `page ${header.pgid}: blob of ${length} bytes overruns its ${header.span} pages`);
  return run.subarray(BLOB_PAYLOAD, BLOB_PAYLOAD + length);
}
