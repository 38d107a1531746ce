// POSIX path handling for the in-memory filesystem: every path is resolved
// against "/" and split into components, with "." and ".." folded away.

import { posix } from 'node:path';

/** The components of `path` after normalization; [] is the root. */
export function components(path: string): string[] {
  return posix
    .resolve('/', path)
    .split('/')
    .filter((c) => c.length > 0);
}

/** The normalized absolute form of `path`. */
export function normalize(path: string): string {
  return posix.resolve('/', path);
}
