// The engines the amplification study drives, behind one interface. Strata's
// own engines run on NodeFileSystem wrapped in an AccountingFileSystem, so
// every byte they write or read is counted per file category (wal, sst,
// manifest, page) by the same code; their own counters add the split the
// files cannot show (flush versus compaction, leaf versus branch pages) and
// the logical reads per get. LevelDB (classic-level) and LMDB (lmdb) run
// in-process; what they write is taken from /proc/self/io.

import { readFileSync } from 'node:fs';
import { BtreeEngine } from '@strata/btree';
import { LsmEngine, type LsmOptions } from '@strata/lsm';
import { AccountingFileSystem, NodeFileSystem } from '@strata/vfs';
import { ClassicLevelAdapter } from '../engines/classic-level.js';
import { LmdbAdapter } from '../engines/lmdb.js';
import type { EngineAdapter, KV } from '../engines/adapter.js';

export type Family = 'lsm-leveled' | 'lsm-tiered' | 'btree' | 'leveldb' | 'lmdb';

/** Cumulative bytes written, split by what wrote them. */
export interface WriteSplit {
  wal: number;
  flush: number;
  compaction: number;
  pages: number;
  /** Of `pages`, leaf pages (the B+Tree's; the page the textbook says every insert rewrites). */
  leaves: number;
  /** Manifest, CURRENT, directory and anything else. */
  other: number;
  /** Real engines: everything, from /proc/self/io. */
  total: number;
}

/** Cumulative read counters. */
export interface ReadSplit {
  /** Point gets issued. */
  gets: number;
  /** Data blocks or node pages a get needed (cache hits included). */
  logical: number;
  /** Of those, read from the file (cache misses). */
  fileReads: number;
  /** Read calls on data files of any kind (index, filter and footer loads included). */
  fileOps: number;
}

export interface Subject {
  readonly name: string;
  readonly family: Family;
  /** LSM fanout, or the B+Tree page size; 0 otherwise. */
  readonly param: number;
  /** Writes a batch of puts atomically. */
  write(batch: readonly KV[]): Promise<void>;
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Reads up to `n` entries from `start`; returns how many. Undefined where the study does not drive range scans. */
  readonly scan: ((start: Uint8Array, n: number) => Promise<number>) | undefined;
  /** Waits for flushes and compactions. */
  settle(): Promise<void>;
  /** Closes and opens again with an empty cache; `useFilters` for LSMs. */
  reopen(useFilters: boolean): Promise<void>;
  writes(): WriteSplit;
  reads(): ReadSplit | undefined;
  /** Bytes in the engine's directory. */
  diskBytes(): number;
  /** Engine-specific facts for the report (levels, depth, ...). */
  facts(): Record<string, number>;
  close(): Promise<void>;
}

export const TABLE = 'bench';

function dirBytes(fs: NodeFileSystem, dir: string): number {
  let n = 0;
  for (const name of fs.list(dir)) {
    const st = fs.stat(`${dir}/${name}`);
    n += st.kind === 'dir' ? dirBytes(fs, `${dir}/${name}`) : st.size;
  }
  return n;
}

export interface StrataConfig {
  readonly cacheBytes: number;
  readonly memtableBytes: number;
}

export async function lsmSubject(name: string, dir: string, cfg: StrataConfig, compaction: NonNullable<LsmOptions['compaction']>, fanout: number): Promise<Subject> {
  const node = new NodeFileSystem();
  const fs = new AccountingFileSystem(node);
  const options = (useFilters: boolean): LsmOptions => ({
    fs,
    dir,
    tables: [TABLE],
    writeBufferSize: cfg.memtableBytes,
    targetFileSize: cfg.memtableBytes,
    blockCacheBytes: cfg.cacheBytes,
    compaction,
    useFilters,
  });
  let db = await LsmEngine.open(options(true));
  // Read counters restart with each engine instance: keep what earlier instances counted.
  const past: ReadSplit = { gets: 0, logical: 0, fileReads: 0, fileOps: 0 };
  let past2 = { flush: 0, compaction: 0 };
  const current = (): ReadSplit => {
    const s = db.stats();
    return { gets: s.writes.gets, logical: s.reads.blocksRead, fileReads: s.reads.blockCacheMisses, fileOps: 0 };
  };
  return {
    name,
    family: compaction.style === 'tiered' ? 'lsm-tiered' : 'lsm-leveled',
    param: fanout,
    write: (batch) => db.write(batch.map((kv) => ({ type: 'put', table: TABLE, key: kv.key, value: kv.value }))),
    get: (key) => db.getSync(TABLE, key),
    scan: async (start, n) => {
      let got = 0;
      for (const e of db.scanSync(TABLE, { start, limit: n })) if (e.key.length > 0) got++;
      return Promise.resolve(got);
    },
    settle: async () => {
      await db.flush();
      await db.waitForCompactions();
    },
    reopen: async (useFilters) => {
      const r = current();
      const w = db.stats().writes;
      past.gets += r.gets;
      past.logical += r.logical;
      past.fileReads += r.fileReads;
      past2 = { flush: past2.flush + w.flushBytes, compaction: past2.compaction + w.compactionBytesWritten };
      await db.close();
      db = await LsmEngine.open(options(useFilters));
    },
    writes: () => {
      const c = fs.stats.snapshot().byCategory;
      const w = db.stats().writes;
      const sst = c['sst']?.writeBytes ?? 0;
      const wal = c['wal']?.writeBytes ?? 0;
      const total = fs.stats.snapshot().total.writeBytes;
      return { wal, flush: past2.flush + w.flushBytes, compaction: sst - past2.flush - w.flushBytes, pages: 0, leaves: 0, other: total - wal - sst, total };
    },
    reads: () => {
      const r = current();
      return { gets: past.gets + r.gets, logical: past.logical + r.logical, fileReads: past.fileReads + r.fileReads, fileOps: fs.stats.snapshot().byCategory['sst']?.readOps ?? 0 };
    },
    diskBytes: () => dirBytes(node, dir),
    facts: () => {
      const s = db.stats();
      const levels = s.levels.filter((l) => l.files > 0);
      return { sortedRuns: s.sortedRuns, levels: levels.length, deepestLevel: levels.length === 0 ? 0 : Math.max(...levels.map((l) => l.level)), l0Files: s.levels[0]?.files ?? 0 };
    },
    close: () => db.close(),
  };
}

export async function btreeSubject(name: string, dir: string, cfg: StrataConfig, pageSize: number): Promise<Subject> {
  const node = new NodeFileSystem();
  const fs = new AccountingFileSystem(node);
  const open = (): Promise<BtreeEngine> => BtreeEngine.open({ fs, dir, tables: [TABLE], pageSize, cacheBytes: cfg.cacheBytes });
  let db = await open();
  const past: ReadSplit = { gets: 0, logical: 0, fileReads: 0, fileOps: 0 };
  let pastLeaves = 0;
  const current = (): ReadSplit => {
    const s = db.stats();
    return { gets: s.gets, logical: Math.round(s.pagesTouchedPerGet * s.gets), fileReads: s.nodeReads + s.overflowPagesRead, fileOps: 0 };
  };
  const leafBytes = (): number => db.stats().pagesWritten.leaf * pageSize;
  return {
    name,
    family: 'btree',
    param: pageSize,
    write: (batch) => db.write(batch.map((kv) => ({ type: 'put', table: TABLE, key: kv.key, value: kv.value }))),
    get: (key) => db.getSync(TABLE, key),
    scan: async (start, n) => {
      let got = 0;
      for await (const e of db.scan(TABLE, { start, limit: n })) if (e.key.length >= 0) got++;
      return got;
    },
    settle: () => Promise.resolve(),
    reopen: async () => {
      const r = current();
      past.gets += r.gets;
      past.logical += r.logical;
      past.fileReads += r.fileReads;
      pastLeaves += leafBytes();
      await db.close();
      db = await open();
    },
    writes: () => {
      const snap = fs.stats.snapshot();
      const pages = snap.byCategory['page']?.writeBytes ?? 0;
      return { wal: 0, flush: 0, compaction: 0, pages, leaves: pastLeaves + leafBytes(), other: snap.total.writeBytes - pages, total: snap.total.writeBytes };
    },
    reads: () => {
      const r = current();
      return { gets: past.gets + r.gets, logical: past.logical + r.logical, fileReads: past.fileReads + r.fileReads, fileOps: fs.stats.snapshot().byCategory['page']?.readOps ?? 0 };
    },
    diskBytes: () => dirBytes(node, dir),
    facts: () => {
      const s = db.stats();
      return { pageCount: s.pageCount, freePages: s.freePages, autoSyncs: s.autoSyncs };
    },
    close: () => db.close(),
  };
}

/** This process's bytes written through write(2) and friends (`wchar`), and those sent to storage (`write_bytes`). */
export function procIo(): { wchar: number; writeBytes: number } | undefined {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { wchar: field('wchar'), writeBytes: field('write_bytes') };
  } catch {
    return undefined;
  }
}

/** LevelDB or LMDB in-process; writes counted from /proc/self/io (wchar) around each call. */
export async function realSubject(kind: 'leveldb' | 'lmdb', dir: string, cacheBytes: number): Promise<Subject> {
  const adapter: EngineAdapter = kind === 'leveldb' ? new ClassicLevelAdapter(cacheBytes) : new LmdbAdapter();
  await adapter.open(dir, false);
  let written = 0;
  const counted = async <T>(fn: () => Promise<T>): Promise<T> => {
    const a = procIo();
    const out = await fn();
    const b = procIo();
    if (a !== undefined && b !== undefined) written += b.wchar - a.wchar;
    return out;
  };
  const node = new NodeFileSystem();
  return {
    name: kind === 'leveldb' ? 'LevelDB (classic-level)' : 'LMDB (lmdb)',
    family: kind,
    param: 0,
    write: (batch) => counted(() => adapter.writeBatch(batch)),
    get: (key) => adapter.get(key),
    // The engine benchmark (db-bench) measures their iteration; here only writes, gets and space.
    scan: undefined,
    settle: () => counted(() => adapter.settle()),
    reopen: () => Promise.resolve(),
    writes: () => ({ wal: 0, flush: 0, compaction: 0, pages: 0, leaves: 0, other: 0, total: written }),
    reads: () => undefined,
    diskBytes: () => dirBytes(node, dir),
    facts: () => ({}),
    close: () => counted(() => adapter.close()),
  };
}
