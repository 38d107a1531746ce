// A VersionEdit: one change to the tree, appended to the MANIFEST as one
// record (docs/format/manifest.md). The first record of every manifest is a
// snapshot edit holding the whole state; later records are deltas.
//
// record := field*
// field  := tag varint | data      (tags below; an unknown tag is Corruption)

import { ByteReader, ByteWriter } from '@strata/engine';
import type { FileNum } from './filenames.js';
import type { FileMeta } from './file-meta.js';

/** Field tags. Part of the format. */
const Tag = { LogNumber: 1, NextFileNumber: 2, LastSeq: 3, Table: 4, DeletedFile: 5, AddedFile: 6, SyncedLog: 7 } as const;

export interface VersionEdit {
  /** WALs numbered below this are fully flushed and may be deleted. */
  logNumber?: number;
  /** The next unused file number. */
  nextFileNumber?: number;
  /** Largest sequence number persisted in SSTables (WAL replay continues above it). */
  lastSeq?: number;
  /** Every WAL numbered at or below this was fully synced: recovery may not find it cut short. */
  syncedLog?: number;
  /** Tables (column families) known to the database: name and id. */
  tables?: { readonly name: string; readonly id: number }[];
  deleted?: { readonly level: number; readonly fileNum: FileNum }[];
  added?: { readonly level: number; readonly meta: FileMeta }[];
}

export function encodeEdit(edit: VersionEdit): Uint8Array {
  const w = new ByteWriter(256);
  if (edit.logNumber !== undefined) w.varint(Tag.LogNumber).varint(edit.logNumber);
  if (edit.nextFileNumber !== undefined) w.varint(Tag.NextFileNumber).varint(edit.nextFileNumber);
  if (edit.lastSeq !== undefined) w.varint(Tag.LastSeq).varint(edit.lastSeq);
  if (edit.syncedLog !== undefined) w.varint(Tag.SyncedLog).varint(edit.syncedLog);
  for (const t of edit.tables ?? []) w.varint(Tag.Table).string(t.name).varint(t.id);
  for (const d of edit.deleted ?? []) w.varint(Tag.DeletedFile).varint(d.level).varint(d.fileNum);
  for (const { level, meta: m } of edit.added ?? []) {
    w.varint(Tag.AddedFile)
      .varint(level)
      .varint(m.fileNum)
      .varint(m.size)
      .bytes(m.smallest)
      .bytes(m.largest)
      .u8(m.largestExclusive ? 1 : 0)
      .varint(m.smallestSeq)
      .varint(m.largestSeq)
      .varint(m.entries)
      .varint(m.deletions)
      .varint(m.rangeDels);
  }
  return w.finish();
}

/** Decodes a manifest record. Throws DecodeError (from the codec) or Error on an unknown tag. */
export function decodeEdit(payload: Uint8Array): VersionEdit {
  const r = new ByteReader(payload);
  const edit: VersionEdit = {};
  while (!r.done) {
    const at = r.position;
    const tag = r.varint();
    switch (tag) {
      case Tag.LogNumber:
        edit.logNumber = r.varint();
        break;
      case Tag.NextFileNumber:
        edit.nextFileNumber = r.varint();
        break;
      case Tag.LastSeq:
        edit.lastSeq = r.varint();
        break;
      case Tag.SyncedLog:
        edit.syncedLog = r.varint();
        break;
      case Tag.Table:
        (edit.tables ??= []).push({ name: r.string(), id: r.varint() });
        break;
      case Tag.DeletedFile:
        (edit.deleted ??= []).push({ level: r.varint(), fileNum: r.varint() as FileNum });
        break;
      case Tag.AddedFile: {
        const level = r.varint();
        const fileNum = r.varint() as FileNum;
        const size = r.varint();
        const smallest = r.bytes().slice();
        const largest = r.bytes().slice();
        const flags = r.u8();
        if (flags > 1) throw new EditDecodeError(`bad file flags ${flags}`, at);
        const meta: FileMeta = {
          fileNum,
          size,
          smallest,
          largest,
          largestExclusive: flags === 1,
          smallestSeq: r.varint(),
          largestSeq: r.varint(),
          entries: r.varint(),
          deletions: r.varint(),
          rangeDels: r.varint(),
        };
        (edit.added ??= []).push({ level, meta });
        break;
      }
      default:
        throw new EditDecodeError(`unknown version edit tag ${tag}`, at);
    }
  }
  return edit;
}

export class EditDecodeError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at record byte ${position}`);
    this.position = position;
  }
}
