// What db.stats() reports for a BtreeEngine, and its printable form. Write
// amplification is page bytes written (nodes, overflow, catalog, freelist,
// meta) over user bytes written (key plus value of each put, key of each
// delete, both bounds of each deleteRange). Space amplification is the file's
// size over the live user bytes. Read amplification per get is node pages
// touched (the depth) and node pages read from the file (cache misses).

import type { TableRoot } from '../format/catalog.js';
import type { Freelist } from '../store/freelist.js';
import type { Pager, WriteKind } from '../store/pager.js';
import type { LookupCounters } from '../tree/lookup.js';
import type { Version } from './version.js';

export interface EngineCounters {
  commits: number;
  /** Batches committed (a commit holds a group of them). */
  batches: number;
  syncs: number;
  /** Syncs forced by syncEveryBytes. */
  autoSyncs: number;
  userBytes: number;
}

export interface BtreeStats {
  readonly pageSize: number;
  readonly txid: number;
  readonly durableTxid: number;
  readonly fileBytes: number;
  readonly pageCount: number;
  readonly freePages: number;
  /** Freed pages waiting for a sync or for readers. */
  readonly pendingPages: number;
  /** Versions pinned by snapshots and scans. */
  readonly readers: number;
  readonly tables: Readonly<Record<string, { readonly keys: number; readonly bytes: number }>>;
  readonly liveKeys: number;
  readonly liveBytes: number;
  readonly spaceAmplification: number;
  readonly commits: number;
  readonly batches: number;
  readonly syncs: number;
  readonly autoSyncs: number;
  readonly userBytesWritten: number;
  readonly pagesWritten: Readonly<Record<WriteKind, number>>;
  readonly bytesWritten: number;
  readonly writeAmplification: number;
  readonly gets: number;
  readonly pagesTouchedPerGet: number;
  readonly nodeReads: number;
  readonly cacheHits: number;
  readonly cacheHitRatio: number;
  readonly overflowPagesRead: number;
  readonly cacheBytes: number;
}

export interface StatsInput {
  readonly pager: Pager;
  readonly version: Version;
  readonly declared: readonly string[];
  readonly fileBytes: number;
  readonly freelist: Freelist;
  readonly readers: number;
  readonly durableTxid: number;
  readonly engine: EngineCounters;
  readonly lookups: LookupCounters;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function buildStats(i: StatsInput): BtreeStats {
  const tables: Record<string, { keys: number; bytes: number }> = {};
  let liveKeys = 0;
  let liveBytes = 0;
  for (const name of i.declared) {
    const t = i.version.tables.get(name) as TableRoot;
    tables[name] = { keys: t.keys, bytes: t.bytes };
    liveKeys += t.keys;
    liveBytes += t.bytes;
  }
  const pw = i.pager.counters.pagesWritten;
  const pages = pw.leaf + pw.branch + pw.overflow + pw.catalog + pw.freelist + pw.meta;
  const bytesWritten = pages * i.pager.pageSize;
  const c = i.pager.counters;
  return {
    pageSize: i.pager.pageSize,
    txid: i.version.txid,
    durableTxid: i.durableTxid,
    fileBytes: i.fileBytes,
    pageCount: i.freelist.pageCount,
    freePages: i.freelist.freeCount,
    pendingPages: i.freelist.pendingCount,
    readers: i.readers,
    tables,
    liveKeys,
    liveBytes,
    spaceAmplification: ratio(i.fileBytes, liveBytes),
    commits: i.engine.commits,
    batches: i.engine.batches,
    syncs: i.engine.syncs,
    autoSyncs: i.engine.autoSyncs,
    userBytesWritten: i.engine.userBytes,
    pagesWritten: { ...pw },
    bytesWritten,
    writeAmplification: ratio(bytesWritten, i.engine.userBytes),
    gets: i.lookups.gets,
    pagesTouchedPerGet: ratio(i.lookups.pagesTouched, i.lookups.gets),
    nodeReads: c.nodeReads,
    cacheHits: c.cacheHits,
    cacheHitRatio: ratio(c.cacheHits, c.cacheHits + c.nodeReads),
    overflowPagesRead: c.overflowPagesRead,
    cacheBytes: i.pager.cache.bytes,
  };
}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

/** A printable report, one fact per line. */
export function formatStats(s: BtreeStats): string {
  const pw = s.pagesWritten;
  const lines = [
    `B+Tree: ${s.pageSize}-byte pages, txid ${s.txid} (durable ${s.durableTxid}), ${s.readers} pinned readers`,
    `file: ${mib(s.fileBytes)} in ${s.pageCount} pages; ${s.freePages} free, ${s.pendingPages} pending`,
    ...Object.entries(s.tables).map(([name, t]) => `table ${name}: ${t.keys} keys, ${mib(t.bytes)} of user data`),
    `space amplification: ${s.spaceAmplification.toFixed(2)} (file / live user bytes)`,
    `writes: ${s.batches} batches in ${s.commits} commits, ${s.syncs} syncs (${s.autoSyncs} forced by syncEveryBytes)`,
    `pages written: leaf ${pw.leaf}, branch ${pw.branch}, overflow ${pw.overflow}, catalog ${pw.catalog}, freelist ${pw.freelist}, meta ${pw.meta}`,
    `write amplification: ${s.writeAmplification.toFixed(2)} (${mib(s.bytesWritten)} of pages for ${mib(s.userBytesWritten)} of user writes)`,
    `gets: ${s.gets}, ${s.pagesTouchedPerGet.toFixed(2)} pages touched per get; node reads ${s.nodeReads}, cache hits ${s.cacheHits} (${(100 * s.cacheHitRatio).toFixed(1)}%), overflow pages read ${s.overflowPagesRead}`,
  ];
  return lines.join('\n');
}
