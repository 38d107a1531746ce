// Calls into the vfs seam with their failures turned into the engine's
// IoError (the vfs error kept as `cause`), for every engine to share.

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
