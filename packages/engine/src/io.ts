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

/** A whole file's bytes (logs and manifests read at open); failures become IoError. */
export function readWholeFile(fs: FileSystem, path: string): Uint8Array {
  const f = io(`opening ${path}`, () => fs.open(path));
  try {
    return io(`reading ${path}`, () => f.read(0, f.size()));
  } finally {
    f.close();
  }
}
