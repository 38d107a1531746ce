// A db_bench-shaped workload suite run side by side against Strata's LSM
// engine, LevelDB (classic-level) and LMDB (lmdb), in one process, one engine
// after another, on the real filesystem. Keys are 16 bytes, values 100 bytes
// (half random, half zeros: compressible 2:1 like db_bench's default).
//
//   fillseq            N keys in order, batches of 1000
//   fillrandom/batch   N random keys, batches of 1000
//   fillrandom/1       random puts, one awaited at a time (bounded)
//   fillrandom/64      random puts, 64 in flight (bounded)
//   overwrite          random puts over the filled database, 64 in flight (bounded)
//   readrandom         random gets over the filled database, } in rounds across
//                      after a manual full compaction        }
//   readseq            a full scan                           } the engines; medians
//   seekrandom         seek to a random key, read one entry  } of 5 rounds
//   fillsync/1, /64    durable puts (fsync per commit), one and 64 writers (bounded)
//   disk               raw 4 KiB append + fdatasync, the ceiling for fillsync/1
// Event-loop delay (monitorEventLoopDelay) is sampled during every fill.
// Flags: --quick (small N, short bounds), --num N, --out DIR, --engines a,b.

import { mkdtempSync, openSync, closeSync, writeSync, fdatasyncSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Rng } from '@strata/vfs';
import type { EngineAdapter, KV } from './engines/adapter.js';
import { ClassicLevelAdapter } from './engines/classic-level.js';
import { LmdbAdapter } from './engines/lmdb.js';
import { StrataAdapter } from './engines/strata.js';
import { environment, table, writeResults } from './lib/report.js';
import { flag, halfCompressibleValues, hasFlag, key16 } from './lib/workload.js';

const QUICK = hasFlag('--quick');
const N = Number(flag('--num') ?? (QUICK ? 20_000 : 1_000_000));
/** Bound of the open-ended workloads, in ms and ops. */
const BOUND_MS = QUICK ? 300 : 8_000;
const BOUND_OPS = QUICK ? 2_000 : 300_000;
const SYNC_BOUND_MS = QUICK ? 300 : 4_000;
const OUT = flag('--out');
const CACHE_BYTES = 256 * 1024 * 1024;
const SEED = 20261123;

const ENGINES: Record<string, () => EngineAdapter> = {
  strata: () => new StrataAdapter('strata-lsm', { blockCacheBytes: CACHE_BYTES }),
  'classic-level': () => new ClassicLevelAdapter(CACHE_BYTES),
  lmdb: () => new LmdbAdapter(),
};
const chosen = (flag('--engines') ?? Object.keys(ENGINES).join(',')).split(',');

const key = key16;
const VALUES = halfCompressibleValues(new Rng(SEED), 4096);
const value = (i: number): Uint8Array => VALUES[i & 4095] as Uint8Array;

interface Result {
  engine: string;
  workload: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50us?: number;
  p99us?: number;
  loopDelayP99ms?: number;
  found?: number;
  /** ops/s of each read round (the figure is their median). */
  rounds?: number[];
  stats?: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Runs `op` until `ops` operations or `boundMs` ms (whichever first), `inFlight` at a time; per-op latencies recorded. */
async function drive(
  inFlight: number,
  maxOps: number,
  boundMs: number,
  op: (i: number) => Promise<void>,
): Promise<{ ops: number; ms: number; lat: Float64Array }> {
  const lat = new Float64Array(maxOps);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= maxOps || performance.now() - t0 > boundMs) return;
      const i = next++;
      const s = performance.now();
      await op(i);
      lat[i] = performance.now() - s;
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const ms = performance.now() - t0;
  return { ops: done, ms, lat: lat.subarray(0, done).sort() };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; loopP99: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  h.disable();
  // No sample at all means the loop never turned: it was blocked for the whole run.
  return { value, ms, loopP99: h.count === 0 ? ms : h.percentile(99) / 1e6 };
}

function result(engine: string, workload: string, ops: number, ms: number, extra: Partial<Result> = {}): Result {
  const r: Result = { engine, workload, ops, seconds: ms / 1000, opsPerSec: Math.round((ops / ms) * 1000), ...extra };
  console.log(`${engine.padEnd(14)} ${workload.padEnd(18)} ${String(r.opsPerSec).padStart(9)} ops/s  (${ops} ops, ${(ms / 1000).toFixed(2)} s)${extra.loopDelayP99ms !== undefined ? `  loop p99 ${extra.loopDelayP99ms.toFixed(1)} ms` : ''}`);
  return r;
}

async function withDb<T>(make: () => EngineAdapter, durable: boolean, fn: (db: EngineAdapter) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-dbbench-'));
  const db = make();
  await db.open(join(dir, 'db'), durable);
  try {
    return await fn(db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fillBatches(db: EngineAdapter, keys: (i: number) => Uint8Array): Promise<void> {
  for (let i = 0; i < N; i += 1000) {
    const batch: KV[] = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) batch.push({ key: keys(j), value: value(j) });
    await db.writeBatch(batch);
  }
}

interface Reader {
  readonly name: string;
  readonly db: EngineAdapter;
  readonly dir: string;
}
const readers: Reader[] = [];

async function runEngine(name: string, make: () => EngineAdapter): Promise<Result[]> {
  const out: Result[] = [];
  const rng = new Rng(SEED + 1);
  const randomKeys = Array.from({ length: N }, () => key(rng.int(N)));

  await withDb(make, false, async (db) => {
    const t = await timed(() => fillBatches(db, key));
    out.push(result(name, 'fillseq', N, t.ms, { loopDelayP99ms: t.loopP99 }));
  });

  // The filled database stays open for the read rounds, run later across all engines in turn.
  const dir = mkdtempSync(join(tmpdir(), 'strata-dbbench-'));
  const db = make();
  await db.open(join(dir, 'db'), false);
  const t = await timed(() => fillBatches(db, (i) => randomKeys[i] as Uint8Array));
  out.push(result(name, 'fillrandom/batch', N, t.ms, { loopDelayP99ms: t.loopP99 }));
  await db.settle();
  const over = await timed(() => drive(64, BOUND_OPS, BOUND_MS, (i) => db.put(randomKeys[(i * 7919) % N] as Uint8Array, value(i + 1), false)));
  out.push(
    result(name, 'overwrite/64', over.value.ops, over.value.ms, {
      p50us: percentile(over.value.lat, 0.5) * 1000,
      p99us: percentile(over.value.lat, 0.99) * 1000,
      loopDelayP99ms: over.loopP99,
    }),
  );
  await db.settle();
  // Reads run on a compacted database (db_bench's `compact` step), so every
  // engine is read in its settled shape rather than whatever L0 files the
  // fills happened to leave behind (measured: up to 2x slower gets).
  await db.compact();
  readers.push({ name, db, dir });

  for (const sync of [false, true]) {
    for (const inFlight of [1, 64]) {
      await withDb(make, sync, async (db) => {
        const t = await timed(() => drive(inFlight, BOUND_OPS, sync ? SYNC_BOUND_MS : BOUND_MS, (i) => db.put(randomKeys[i] as Uint8Array, value(i), sync)));
        out.push(
          result(name, `${sync ? 'fillsync' : 'fillrandom'}/${inFlight}`, t.value.ops, t.value.ms, {
            p50us: percentile(t.value.lat, 0.5) * 1000,
            p99us: percentile(t.value.lat, 0.99) * 1000,
            ...(sync ? { stats: db.stats() } : { loopDelayP99ms: t.loopP99 }),
          }),
        );
      });
    }
  }
  return out;
}

/**
 * Appends `size`-byte records to a fresh file until `maxOps` or `maxMs`: each
 * followed by fdatasync when `sync`, each after an awaited promise when
 * `awaitEach`. The raw rates the engines are measured against.
 */
async function appendProbe(
  engine: string,
  workload: string,
  o: { readonly size: number; readonly sync: boolean; readonly awaitEach: boolean; readonly maxOps: number; readonly maxMs: number },
): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `strata-dbbench-${engine}-`));
  const fd = openSync(join(dir, 'probe.log'), 'a');
  const buf = new Uint8Array(o.size).fill(7);
  const t0 = performance.now();
  let n = 0;
  try {
    while (n < o.maxOps && performance.now() - t0 < o.maxMs) {
      if (o.awaitEach) await Promise.resolve();
      writeSync(fd, buf);
      if (o.sync) fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return result(engine, workload, n, performance.now() - t0);
}

/** The disk's raw rate of 4 KiB append + fdatasync: what one durable writer can reach. */
const diskSyncRate = (): Promise<Result> =>
  appendProbe('disk', '4KiB append+fdatasync', { size: 4096, sync: true, awaitEach: false, maxOps: Infinity, maxMs: SYNC_BOUND_MS });

/**
 * The ceiling of fillrandom/1 for any engine that keeps LevelDB's contract (a
 * resolved write survives kill -9, so each one reaches the kernel before it
 * resolves): one awaited promise and one 150-byte write() per put, nothing
 * else. Bounded like the other unsynced workloads.
 */
const awaitedAppendRate = (): Promise<Result> =>
  appendProbe('ceiling', 'await+150B append', { size: 150, sync: false, awaitEach: true, maxOps: BOUND_OPS, maxMs: BOUND_MS });

const all: Result[] = [await diskSyncRate(), await awaitedAppendRate()];
for (const name of chosen) {
  const make = ENGINES[name];
  if (make === undefined) throw new Error(`unknown engine ${name}; choose from ${Object.keys(ENGINES).join(', ')}`);
  all.push(...(await runEngine(name, make)));
}

/**
 * Reads, in rounds: each round runs readrandom (a slice of the keys),
 * readseq and seekrandom (a slice) on every engine in turn, rotating the
 * order, so machine noise hits all engines alike; each figure is the median
 * over the rounds.
 */
async function readRounds(): Promise<Result[]> {
  const ROUNDS = QUICK ? 1 : 5;
  const readRng = new Rng(SEED + 2);
  const readKeys = Array.from({ length: N }, () => key(readRng.int(N)));
  const seeks = Math.min(N, QUICK ? 2_000 : 200_000);
  const samples = new Map<string, { ops: number; ms: number; found: number }[]>();
  const sample = (engine: string, workload: string, ops: number, ms: number, found = 0): void => {
    const k = `${engine}|${workload}`;
    const list = samples.get(k) ?? [];
    list.push({ ops, ms, found });
    samples.set(k, list);
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < readers.length; j++) {
      const { name, db } = readers[(r + j) % readers.length] as Reader;
      const lo = Math.floor((r * N) / ROUNDS);
      const hi = Math.floor(((r + 1) * N) / ROUNDS);
      let found = 0;
      let t0 = performance.now();
      for (let i = lo; i < hi; i++) {
        const v = db.get(readKeys[i] as Uint8Array);
        if ((v instanceof Promise ? await v : v) !== undefined) found++;
      }
      sample(name, 'readrandom', hi - lo, performance.now() - t0, found);
      t0 = performance.now();
      const scanned = await db.scanAll();
      sample(name, 'readseq', scanned, performance.now() - t0);
      const slo = Math.floor((r * seeks) / ROUNDS);
      const shi = Math.floor(((r + 1) * seeks) / ROUNDS);
      let seekFound = 0;
      t0 = performance.now();
      for (let i = slo; i < shi; i++) {
        const s = db.seek(readKeys[i] as Uint8Array);
        if (s instanceof Promise ? await s : s) seekFound++;
      }
      sample(name, 'seekrandom', shi - slo, performance.now() - t0, seekFound);
    }
  }
  const out: Result[] = [];
  for (const { name, db } of readers) {
    for (const workload of ['readrandom', 'readseq', 'seekrandom']) {
      const list = samples.get(`${name}|${workload}`) ?? [];
      const rates = list.map((x) => (x.ops / x.ms) * 1000).sort((a, b) => a - b);
      const median = rates[Math.floor(rates.length / 2)] ?? 0;
      const ops = list.reduce((n, x) => n + x.ops, 0);
      const ms = list.reduce((n, x) => n + x.ms, 0);
      const found = list.reduce((n, x) => n + x.found, 0);
      const r = result(name, workload, ops, (ops / median) * 1000, workload === 'readseq' ? {} : { found });
      r.rounds = rates.map((x) => Math.round(x));
      r.seconds = ms / 1000;
      out.push(r);
    }
    (out[out.length - 1] as Result).stats = db.stats();
  }
  for (const { db, dir } of readers) {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

all.push(...(await readRounds()));
all.push(await diskSyncRate());

const find = (engine: string, workload: string): Result | undefined => all.find((r) => r.engine === engine && r.workload === workload);
const workloads = [...new Set(all.filter((r) => r.engine !== 'disk' && r.engine !== 'ceiling').map((r) => r.workload))];
const engines = chosen;
const rows = workloads.map((w) => {
  const s = find('strata', w)?.opsPerSec;
  return [
    w,
    ...engines.map((e) => String(find(e, w)?.opsPerSec ?? '—')),
    ...engines.filter((e) => e !== 'strata').map((e) => {
      const o = find(e, w)?.opsPerSec;
      return s !== undefined && o !== undefined && o > 0 ? `${(s / o).toFixed(2)}×` : '—';
    }),
  ];
});
const disk = all.filter((r) => r.engine === 'disk').map((r) => r.opsPerSec);
const ceiling = all.find((r) => r.engine === 'ceiling')?.opsPerSec;
const loopRows = all
  .filter((r) => r.loopDelayP99ms !== undefined)
  .map((r) => [r.engine, r.workload, r.loopDelayP99ms?.toFixed(1) ?? '', r.p99us === undefined ? '' : r.p99us.toFixed(0)]);
const md = [
  `# db_bench-shaped engine comparison${QUICK ? ' (quick)' : ''}`,
  '',
  `${N} keys of 16 bytes, 100-byte values; one process, engines one after another; block cache / LevelDB cache ${CACHE_BYTES >> 20} MiB; bounded workloads stop after ${BOUND_OPS} ops or ${BOUND_MS / 1000} s (synced: ${SYNC_BOUND_MS / 1000} s); readrandom, readseq and seekrandom run after a manual full compaction of each engine's database (db_bench's \`compact\`; none for lmdb), in ${QUICK ? 1 : 5} rounds across the engines in turn, and report the median round. ops/s:`,
  '',
  table(['workload', ...engines, ...engines.filter((e) => e !== 'strata').map((e) => `strata / ${e}`)], rows),
  '',
  `Raw disk, 4 KiB append + fdatasync, before and after: ${disk.join(' and ')} ops/s. The ceiling of fillrandom/1 for an engine that hands every resolved put to the kernel (one awaited promise and one 150-byte write() per put, nothing else): ${ceiling ?? '—'} ops/s.`,
  '',
  'Event-loop delay p99 during writes (ms; when the loop never turned during a run, the whole run counts as one delay), and per-op p99 latency (µs) where ops were timed one by one:',
  '',
  table(['engine', 'workload', 'loop delay p99 ms', 'op p99 µs'], loopRows),
  '',
].join('\n');
const paths = writeResults('db-bench', { environment: environment(), num: N, quick: QUICK, cacheBytes: CACHE_BYTES, results: all }, md, OUT);
console.log(`results: ${paths.md}`);
