// Real temporary directories for tests that run on NodeFileSystem.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Deletes the directory and everything in it. */
  readonly remove: () => void;
}

export function makeTempDir(prefix = 'strata-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
