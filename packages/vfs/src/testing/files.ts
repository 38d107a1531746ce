// Whole-file helpers for tests that inspect or plant files on a FileSystem.

import type { FileSystem } from '../file-system.js';

/** The whole content of the file at `path`. */
export function readWholeFile(fs: FileSystem, path: string): Uint8Array {
  const f = fs.open(path);
  try {
    return f.read(0, f.size());
  } finally {
    f.close();
  }
}

/** Creates (or truncates) the file at `path` holding `data`. Not synced. */
export function writeWholeFile(fs: FileSystem, path: string, data: Uint8Array): void {
  const f = fs.create(path);
  try {
    f.append(data);
  } finally {
    f.close();
  }
}
