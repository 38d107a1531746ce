// Calls into the vfs seam with their failures turned into the engine's
// IoError (the vfs error kept as `cause`), for every engine to share.

import type { FileSystem } from '@strata/vfs';
import { IoError } from './errors.js';

/** Runs a synchronous vfs call; a failure becomes IoError("<what>: <reason>"). */
export function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new IoError(`${what}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

/** The same for an asynchronous vfs call (sync, datasync, syncDir). */
export async function ioAsync(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new IoError(`${what}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

/** A buffer reused across whole-file reads (grown as needed): a fresh large buffer per file costs more in page faults than the read. */
export interface ReadBuffer {
  bytes: Uint8Array;
}

/**
 * A whole file's bytes (logs and manifests read at open); failures become
 * IoError. With `into`, the bytes land in its buffer, valid until its next use.
 */
export function readWholeFile(fs: FileSystem, path: string, into?: ReadBuffer): Uint8Array {
  const f = io(`opening ${path}`, () => fs.open(path));
  try {
    const size = io(`sizing ${path}`, () => f.size());
    if (into === undefined) return io(`reading ${path}`, () => f.read(0, size));
    if (into.bytes.length < size) into.bytes = new Uint8Array(size);
    const dst = into.bytes.subarray(0, size);
    return dst.subarray(0, io(`reading ${path}`, () => f.readInto(dst, 0)));
  } finally {
    f.close();
  }
}
