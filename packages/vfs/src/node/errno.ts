// Maps errors thrown by node:fs onto the vfs error set.

import { AlreadyExists, NotFound, OsError, type VfsError } from '../errors.js';

function errnoOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return 'EIO';
}

/** The vfs error for a node:fs failure of `op` on `path`. */
export function fromNodeError(err: unknown, op: string, path: string): VfsError {
  const errno = errnoOf(err);
  switch (errno) {
    case 'ENOENT':
      return new NotFound(path, { cause: err });
    case 'EEXIST':
      return new AlreadyExists(path, { cause: err });
    default:
      return new OsError(errno, op, path, { cause: err });
  }
}

/** Runs a synchronous node:fs call, translating its failure. */
export function call<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNodeError(err, op, path);
  }
}
