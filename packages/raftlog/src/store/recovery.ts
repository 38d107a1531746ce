// Opening a store's directory: find the purge floor, check that the live
// segments run without a gap from it, replay every batch in order into the
// groups' state, deal with the newest segment's tail as the recovery mode
// says, and leave a writer at the end of the log. Segments below the floor
// are what an interrupted purge left; they are deleted unread.
//
// Why the floor: purge writes the state it moves into a newer segment and
// syncs it, then starts a segment whose header records the new floor and
// syncs that, and only then deletes the old files. So a floor found in any
// header is backed by a durable copy of everything below it, and replaying
// from the floor gives the same state as replaying from segment 1.

import { Corruption, DecodeError, InvalidArgument, io, ioAsync, type Checksum, type ReadBuffer } from '@strata/engine';
import type { FileSystem } from '@strata/vfs';
import { decodeBatch } from '../format/log-batch.js';
import { GroupState } from './group-state.js';
import type { RecoveryMode } from './options.js';
import { listSegments, readSegmentFloor, scanSegment, segmentName, SegmentWriter } from './segment.js';

export interface RecoveryReport {
  readonly segments: number;
  readonly frames: number;
  readonly bytes: number;
  /** Segments below the floor that were deleted. */
  readonly leftovers: number;
  /**
   * Where the newest segment's tail was cut, if it was: 'torn' (nothing valid
   * after the first bad frame: a crash cut an append short) or 'corrupt'
   * (valid frames follow the bad one: unsynced writes the device reordered,
   * or damage to synced ones).
   */
  readonly cut?: { readonly file: string; readonly offset: number; readonly kind: 'torn' | 'corrupt'; readonly reason: string };
}

export interface Recovered {
  readonly groups: Map<number, GroupState>;
  readonly floor: number;
  readonly writer: SegmentWriter;
  readonly report: RecoveryReport;
}

export async function recover(fs: FileSystem, dir: string, checksum: Checksum, mode: RecoveryMode): Promise<Recovered> {
  const numbers = listSegments(fs, dir);
  let floor = 1;
  for (const n of numbers) floor = Math.max(floor, readSegmentFloor(fs, dir, n, checksum) ?? 1);
  const live = numbers.filter((n) => n >= floor);
  const dead = numbers.filter((n) => n < floor);

  const groups = new Map<number, GroupState>();
  // Every floor is at most its own segment's number, so segments exist only if live ones do.
  if (live.length === 0) {
    const writer = SegmentWriter.create(fs, dir, 1, 1, checksum);
    await writer.datasync();
    await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
    return { groups, floor, writer, report: { segments: 0, frames: 0, bytes: 0, leftovers: 0 } };
  }
  for (let i = 0; i < live.length; i++) {
    if (live[i] !== floor + i) throw new Corruption(`${dir}/${segmentName(floor + i)}`, 0, `segment ${floor + i} is missing (segments run from ${floor} to ${live[live.length - 1]})`);
  }

  let frames = 0;
  let bytes = 0;
  let cut: RecoveryReport['cut'];
  let last: { number: number; end: number; started: boolean } | undefined;
  // Each segment's frames are applied before the next is read into the same buffer.
  const scratch: ReadBuffer = { bytes: new Uint8Array(0) };
  for (let i = 0; i < live.length; i++) {
    const number = live[i] as number;
    const newest = i === live.length - 1;
    const s = scanSegment(fs, dir, number, checksum, scratch);
    if (s.tail.kind !== 'clean') {
      if (!newest) throw new Corruption(s.path, s.tail.offset, `${s.tail.reason} in segment ${number}, which is not the newest`);
      if (mode === 'absolute-consistency') throw new Corruption(s.path, s.tail.offset, `${s.tail.reason} (absolute-consistency recovery)`);
      cut = { file: s.path, offset: s.tail.offset, kind: s.tail.kind, reason: s.tail.reason };
    }
    if (!s.started && !newest) throw new Corruption(s.path, 0, `segment ${number} has no header but is not the newest`);
    for (const f of s.frames) {
      let batch;
      try {
        batch = decodeBatch(f.payload);
      } catch (err) {
        if (err instanceof DecodeError) throw new Corruption(s.path, f.offset, `batch does not decode: ${err.message}`);
        throw err;
      }
      for (const item of batch.items) {
        let g = groups.get(item.group);
        if (g === undefined) groups.set(item.group, (g = new GroupState()));
        try {
          g.apply(item, number, f.offset);
        } catch (err) {
          if (err instanceof InvalidArgument) throw new Corruption(s.path, f.offset, `batch does not apply to group ${item.group}: ${err.message}`);
          throw err;
        }
      }
      frames++;
      bytes += f.payload.length;
    }
    last = { number, end: s.end, started: s.started };
  }

  // What was replayed is about to be served (and the floor acted on): make it
  // durable first. After a process crash the newest segment's tail, its
  // header (with the floor) and its name may still be only in the OS cache;
  // every older segment was synced before the next one was created.
  const newest = last as { number: number; end: number; started: boolean };
  let writer: SegmentWriter;
  if (!newest.started) {
    // Its creation was interrupted: start it over (nothing in it was ever synced).
    writer = SegmentWriter.create(fs, dir, newest.number, floor, checksum, true);
  } else writer = SegmentWriter.reopen(fs, dir, newest.number, newest.end);
  try {
    await writer.datasync();
    await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
    for (const n of dead) io(`removing ${segmentName(n)}`, () => fs.remove(`${dir}/${segmentName(n)}`));
    if (dead.length > 0) await ioAsync(`syncing ${dir}`, () => fs.syncDir(dir));
  } catch (err) {
    writer.close();
    throw err;
  }
  const report: RecoveryReport = { segments: live.length, frames, bytes, leftovers: dead.length, ...(cut === undefined ? {} : { cut }) };
  return { groups, floor, writer, report };
}
