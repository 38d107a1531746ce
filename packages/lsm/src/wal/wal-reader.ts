// Reads one WAL file back for recovery (docs/format/wal.md): its batches in
// order, and how it ends. A torn tail (a crash cut the last append short)
// ends the log cleanly at the last whole record; a bad record followed by a
// good one, or a good frame holding an undecodable batch, is Corruption.

import type { Checksum } from '@strata/engine';
import { Corruption, DecodeError, io, scanFrames } from '@strata/engine';
import type { FileSystem } from '@strata/vfs';
import { decodeBatch, type BatchOp } from './batch.js';

export interface WalRecord {
  readonly seq: number;
  readonly ops: readonly BatchOp[];
}

export interface WalContents {
  readonly records: readonly WalRecord[];
  /** True if the file ended in a torn record (dropped). */
  readonly torn: boolean;
  /** Offset just past the last whole record. */
  readonly end: number;
}

export function readWal(fs: FileSystem, path: string, checksum: Checksum): WalContents {
  const file = io(`opening ${path}`, () => fs.open(path));
  let bytes: Uint8Array;
  try {
    bytes = io(`reading ${path}`, () => file.read(0, file.size()));
  } finally {
    file.close();
  }
  const scan = scanFrames(bytes, checksum);
  if (scan.tail.kind === 'corrupt') throw new Corruption(path, scan.tail.offset, scan.tail.reason);
  const records: WalRecord[] = [];
  let lastSeq = 0;
  for (const frame of scan.frames) {
    try {
      const { seq, ops } = decodeBatch(frame.payload);
      if (seq <= lastSeq) throw new DecodeError(`sequence number ${seq} does not follow ${lastSeq}`, 0);
      lastSeq = seq + Math.max(ops.length, 1) - 1;
      records.push({ seq, ops });
    } catch (err) {
      if (err instanceof DecodeError) throw new Corruption(path, frame.offset, `bad WAL record: ${err.message}`);
      throw err;
    }
  }
  return { records, torn: scan.tail.kind === 'torn', end: scan.end };
}
