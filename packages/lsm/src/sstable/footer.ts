// The fixed-size footer at the end of every table (docs/format/sstable.md,
// "Layout"): handles of the filter, range-del, properties and index blocks,
// the format version, a checksum over those, and the magic. A reader starts
// here; nothing in the footer is trusted until magic and checksum match.

import type { Checksum } from '@strata/engine';
import { Corruption } from '@strata/engine';
import { FOOTER_CHECKED_SIZE, FOOTER_CHECKSUM_SEED, FOOTER_HANDLE_SIZE, FOOTER_SIZE, FORMAT_VERSION, MAGIC } from './format.js';

/** Where a block's payload lies; its trailer follows it. Size 0 with offset 0 marks an absent filter. */
export interface BlockHandle {
  readonly offset: number;
  /** Payload bytes as stored, trailer excluded. */
  readonly size: number;
}

export interface Footer {
  readonly filter: BlockHandle;
  readonly rangeDel: BlockHandle;
  readonly properties: BlockHandle;
  readonly index: BlockHandle;
}

const TWO_POW_32 = 0x1_0000_0000;

export function encodeFooter(f: Footer, checksum: Checksum): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE);
  const view = new DataView(out.buffer);
  let p = 0;
  for (const h of [f.filter, f.rangeDel, f.properties, f.index]) {
    view.setUint32(p, h.offset % TWO_POW_32, true);
    view.setUint32(p + 4, Math.floor(h.offset / TWO_POW_32), true);
    view.setUint32(p + 8, h.size, true);
    p += FOOTER_HANDLE_SIZE;
  }
  view.setUint32(p, FORMAT_VERSION, true);
  view.setUint32(p + 4, checksum.xxh32(out.subarray(0, FOOTER_CHECKED_SIZE), FOOTER_CHECKSUM_SEED), true);
  out.set(MAGIC, p + 8);
  return out;
}

/** Decodes the footer found at `offset` of `file`; Corruption unless magic, checksum and version hold. */
export function decodeFooter(bytes: Uint8Array, checksum: Checksum, file: string, offset: number): Footer {
  const fail = (detail: string): never => {
    throw new Corruption(file, offset, `footer: ${detail}`);
  };
  if (bytes.length !== FOOTER_SIZE) fail(`${bytes.length} bytes, expected ${FOOTER_SIZE}`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[FOOTER_SIZE - MAGIC.length + i] !== MAGIC[i]) fail('bad magic (not an SSTable, or truncated)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const stored = view.getUint32(FOOTER_CHECKED_SIZE, true);
  const actual = checksum.xxh32(bytes.subarray(0, FOOTER_CHECKED_SIZE), FOOTER_CHECKSUM_SEED);
  if (stored !== actual) fail(`checksum ${stored.toString(16)} does not match ${actual.toString(16)}`);
  const version = view.getUint32(FOOTER_CHECKED_SIZE - 4, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version}, this reader knows ${FORMAT_VERSION}`);
  const handles: BlockHandle[] = [];
  for (let p = 0; p < 4 * FOOTER_HANDLE_SIZE; p += FOOTER_HANDLE_SIZE) {
    const hi = view.getUint32(p + 4, true);
    if (hi >= 2 ** 21) fail(`block offset beyond 2^53 in handle at footer byte ${p}`);
    handles.push({ offset: hi * TWO_POW_32 + view.getUint32(p, true), size: view.getUint32(p + 8, true) });
  }
  const [filter, rangeDel, properties, index] = handles as [BlockHandle, BlockHandle, BlockHandle, BlockHandle];
  return { filter, rangeDel, properties, index };
}
