// Options of a BtreeEngine and their checks. Every bad value is
// InvalidArgument at open, before anything is touched.

import { InvalidArgument } from '@strata/engine';
import type { FileSystem } from '@strata/vfs';
import { DEFAULT_PAGE_SIZE, isValidPageSize, MAX_PAGE_SIZE, MIN_PAGE_SIZE } from '../format/format.js';

export interface BtreeOptions {
  readonly fs: FileSystem;
  /** The engine's directory; created if missing. Holds LOCK and data.btree. */
  readonly dir: string;
  readonly tables: readonly string[];
  /**
   * Page size in bytes, a power of two from 1 KiB to 64 KiB; fixed when the
   * file is created. Default 4096. Opening an existing file with a different
   * explicit value is InvalidArgument.
   */
  readonly pageSize?: number;
  /** Bytes of decoded pages kept in the page cache. Default 64 MiB. */
  readonly cacheBytes?: number;
  /**
   * Unsynced writes make pages they free unusable until a later sync (a power
   * loss may recover the last synced version, which still uses them). After
   * this many bytes of unsynced page writes, the next commit syncs on its
   * own. Default 32 MiB.
   */
  readonly syncEveryBytes?: number;
}

export interface ResolvedOptions {
  readonly pageSize: number | undefined;
  readonly cacheBytes: number;
  readonly syncEveryBytes: number;
}

function nonNegativeInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgument(`${name} must be a non-negative integer, got ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

export function resolveOptions(o: BtreeOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new InvalidArgument('options must be an object');
  if (typeof o.dir !== 'string' || o.dir === '') throw new InvalidArgument('dir must be a non-empty string');
  if (typeof o.fs !== 'object' || o.fs === null) throw new InvalidArgument('fs must be a FileSystem');
  const ps = o.pageSize;
  if (ps !== undefined && !isValidPageSize(ps)) {
    throw new InvalidArgument(`pageSize must be a power of two from ${MIN_PAGE_SIZE} to ${MAX_PAGE_SIZE}, got ${String(ps)}`);
  }
  return {
    pageSize: ps,
    cacheBytes: nonNegativeInt('cacheBytes', o.cacheBytes, 64 * 1024 * 1024),
    syncEveryBytes: nonNegativeInt('syncEveryBytes', o.syncEveryBytes, 32 * 1024 * 1024),
  };
}

export { DEFAULT_PAGE_SIZE };
