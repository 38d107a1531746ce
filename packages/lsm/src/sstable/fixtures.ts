// Test fixtures for the sstable tests: building a table in a MemFileSystem
// from a list of entries, opening it with fresh counters, and generating
// seeded random internal keys. Used only by *.test.ts beside it.

import { loadChecksum, type Checksum } from '@strata/engine';
import { MemFileSystem, type Rng } from '@strata/vfs';
import { compareInternal, internalKey, Kind, tableKey } from '../keys/internal-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { newReadCounters, type ReadCounters } from '../stats/read-stats.js';
import { BlockCache } from './block-cache.js';
import type { TableProperties } from './properties.js';
import { TableBuilder, type TableBuilderOptions } from './table-builder.js';
import { TableReader } from './table-reader.js';

export interface TestEntry {
  readonly ikey: Uint8Array;
  readonly value: Uint8Array;
}

export interface BuiltTable {
  readonly fs: MemFileSystem;
  readonly path: string;
  readonly props: TableProperties;
  readonly checksum: Checksum;
}

/** Writes `entries` (sorted) and `tombstones` (fragmented) to a fresh table. */
export async function buildTable(
  entries: readonly TestEntry[],
  tombstones: readonly RangeTombstone[] = [],
  options: Partial<TableBuilderOptions> = {},
): Promise<BuiltTable> {
  const checksum = await loadChecksum();
  const fs = new MemFileSystem();
  const path = '/t.sst';
  const file = fs.create(path);
  const b = new TableBuilder(file, options, { checksum });
  for (const e of entries) b.add(e.ikey, e.value);
  for (const t of tombstones) b.addRangeTombstone(t);
  const props = b.finish();
  file.close();
  return { fs, path, props, checksum };
}

export interface OpenedTable {
  readonly reader: TableReader;
  readonly counters: ReadCounters;
  readonly cache: BlockCache;
}

/** Opens `path` of `fs` (size defaults to the file's) with fresh counters and cache. */
export function openTable(fs: MemFileSystem, path: string, checksum: Checksum, opts: { size?: number; cacheBytes?: number } = {}): OpenedTable {
  const file = fs.open(path);
  const counters = newReadCounters();
  const cache = new BlockCache(opts.cacheBytes ?? 1 << 20);
  const reader = TableReader.open(file, { fileNum: 7, path, size: opts.size ?? file.size(), checksum, cache, counters });
  return { reader, counters, cache };
}

/** A random table key in table 1 or 2, from a small alphabet so keys share prefixes. */
export function randomTableKey(rng: Rng, maxLen = 12): Uint8Array {
  const len = rng.range(1, maxLen + 1);
  const key = new Uint8Array(len);
  for (let i = 0; i < len; i++) key[i] = 0x61 + rng.int(i < 3 ? 3 : 26);
  return tableKey(rng.range(1, 3), key);
}

/** Sorted, distinct point entries: `keys` table keys with 1-4 versions each, some deletions, some huge seqs. */
export function randomEntries(rng: Rng, keys: number): TestEntry[] {
  const out: TestEntry[] = [];
  const seen = new Set<string>();
  while (seen.size < keys) {
    const tk = randomTableKey(rng);
    const id = Buffer.from(tk).toString('hex');
    if (seen.has(id)) continue;
    seen.add(id);
    const versions = rng.range(1, 5);
    const seqs = new Set<number>();
    while (seqs.size < versions) seqs.add(rng.chance(0.02) ? Number.MAX_SAFE_INTEGER - rng.int(1000) : rng.range(1, 100_000));
    for (const seq of seqs) {
      const kind = rng.chance(0.15) ? Kind.Delete : Kind.Put;
      const value = kind === Kind.Delete ? new Uint8Array(0) : new TextEncoder().encode(`value-${id}-${seq}-`.repeat(rng.range(0, 4)));
      out.push({ ikey: internalKey(tk, seq, kind), value });
    }
  }
  return out.sort((a, b) => compareInternal(a.ikey, b.ikey));
}
