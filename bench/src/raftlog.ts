// The Raft log workload, side by side in one run on the real disk:
//   - the disk's raw limits: 4 KiB append + fdatasync per op, and sequential
//     1 MiB appends with fdatasync (bandwidth);
//   - durable append throughput of @strata/raftlog and of the same workload
//     stored in @strata/lsm (one key per entry, TiKV's original raft-db
//     design), with 1 KiB and 16 KiB entries, 1 and 64 concurrent writers,
//     over 1 and 100 Raft groups. Every write is one entry, synced. Reports
//     entries/s, MB/s, fdatasyncs/s, bytes written per logical byte, CPU
//     seconds per logical GB and per-write p50/p99 latency. Bytes and CPU
//     include what the engine still owes once the writers stop (the LSM's
//     memtable flush and the compactions it triggers), so an LSM run too
//     short to flush is not counted as writing only its WAL;
//   - recovery: reopening a store holding 1 GiB of log (1 KiB entries over
//     100 groups), and the entry index's bytes per million entries.
// Results go to bench/results/raftlog.{json,md}.
//
// Usage: pnpm bench:raftlog [--quick] [--seconds S] [--out DIR]

import { closeSync, constants, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LsmEngine } from '@strata/lsm';
import { LogBatch, RaftLogStore } from '@strata/raftlog';
import { AccountingFileSystem, NodeFileSystem, Rng } from '@strata/vfs';
import { makeTempDir } from '@strata/vfs/testing';
import { environment, table, writeResults } from './lib/report.js';
import { flag, hasFlag } from './lib/workload.js';

const quick = hasFlag('--quick');
const outDir = flag('--out');
const SECONDS = Number(flag('--seconds') ?? (quick ? 0.3 : 4));
const RECOVERY_BYTES = quick ? 32 << 20 : 1 << 30;
const MB = 1e6;

interface Raw {
  readonly appendFdatasyncPerSec: number;
  /** 4 KiB overwrites in place (the file's blocks already allocated) + fdatasync: the most synced writes per second one writer gets. */
  readonly overwriteFdatasyncPerSec: number;
  readonly seqFdatasyncMBps: number;
}

interface Case {
  readonly engine: 'raftlog' | 'lsm';
  readonly entryBytes: number;
  readonly writers: number;
  readonly groups: number;
  readonly entries: number;
  readonly seconds: number;
  readonly entriesPerSec: number;
  readonly MBps: number;
  readonly fsyncsPerSec: number;
  /** Bytes the engine wrote to files per logical byte (entry data). */
  readonly writeAmp: number;
  /** CPU seconds (user + system, all threads) per logical GB. */
  readonly cpuSecPerGB: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

interface Recovery {
  readonly bytes: number;
  readonly entries: number;
  readonly segments: number;
  readonly reopenMs: readonly number[];
  readonly medianMs: number;
  readonly indexBytesPerMillionEntries: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The disk's limits, through node:fs directly: per-op append + fdatasync, per-op overwrite + fdatasync, and sequential bandwidth with fdatasync after each 1 MiB. */
function measureRaw(dir: string, rng: Rng): Raw {
  const overwrite = (seconds: number): number => {
    const path = join(dir, 'raw-overwrite.bin');
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    const slots = 1024;
    const data = rng.bytes(4096);
    for (let i = 0; i < slots; i++) writeSync(fd, data, 0, data.length, i * 4096);
    fsyncSync(fd);
    let ops = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      writeSync(fd, data, 0, data.length, (ops % slots) * 4096);
      fdatasyncSync(fd);
      ops++;
    }
    const secs = (performance.now() - t0) / 1000;
    closeSync(fd);
    return ops / secs;
  };
  const run = (chunk: number, seconds: number): { ops: number; bytes: number; secs: number } => {
    const path = join(dir, `raw-${chunk}.bin`);
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, 0o644);
    const data = rng.bytes(chunk);
    let ops = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      writeSync(fd, data);
      fdatasyncSync(fd);
      ops++;
    }
    const secs = (performance.now() - t0) / 1000;
    closeSync(fd);
    return { ops, bytes: ops * chunk, secs };
  };
  const small = run(4096, SECONDS / 2);
  const inPlace = overwrite(SECONDS / 2);
  const seq = run(1 << 20, SECONDS / 2);
  return { appendFdatasyncPerSec: small.ops / small.secs, overwriteFdatasyncPerSec: inPlace, seqFdatasyncMBps: seq.bytes / seq.secs / MB };
}

/** One store under test: write(group, index, data) resolves once the entry is durable. */
interface Target {
  write(group: number, index: number, data: Uint8Array): Promise<void>;
  fsyncs(): number;
  /** Does the work the engine still owes for what was written (the LSM's memtable flush and the compactions it triggers). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function openTarget(engine: Case['engine'], fs: AccountingFileSystem, dir: string): Promise<Target> {
  if (engine === 'raftlog') {
    const store = await RaftLogStore.open(dir, { fs });
    const base = store.stats().fsyncs;
    return {
      write: (group, index, data) => store.write(new LogBatch().append(group, [{ index, term: 1, data }]), { sync: true }),
      fsyncs: () => store.stats().fsyncs - base,
      settle: () => Promise.resolve(),
      close: () => store.close(),
    };
  }
  const db = await LsmEngine.open({ tables: ['raft'], fs, dir });
  const key = (group: number, index: number): Uint8Array => {
    const k = new Uint8Array(16);
    const v = new DataView(k.buffer);
    v.setBigUint64(0, BigInt(group));
    v.setBigUint64(8, BigInt(index));
    return k;
  };
  const base = fs.stats.snapshot().total.syncOps;
  return {
    write: (group, index, data) => db.write([{ type: 'put', table: 'raft', key: key(group, index), value: data }], { sync: true }),
    fsyncs: () => fs.stats.snapshot().total.syncOps - base,
    settle: async () => {
      await db.flush();
      await db.waitForCompactions();
    },
    close: () => db.close(),
  };
}

async function runCase(engine: Case['engine'], entryBytes: number, writers: number, groups: number, rng: Rng): Promise<Case> {
  const tmp = makeTempDir(`strata-bench-raftlog-${engine}-`);
  try {
    const fs = new AccountingFileSystem(new NodeFileSystem());
    const target = await openTarget(engine, fs, join(tmp.path, 'db'));
    // Half-compressible entry data, as db_bench's default: a random half, then zeros.
    const payloads = Array.from({ length: 64 }, () => {
      const d = new Uint8Array(entryBytes);
      d.set(rng.bytes(entryBytes / 2));
      return d;
    });
    const next = new Array<number>(groups).fill(1);
    const latencies: number[] = [];
    let entries = 0;
    const bytesBefore = fs.stats.snapshot().total.writeBytes;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    const writer = async (w: number): Promise<void> => {
      // Writer w owns the groups g with g % writers === w (all of them share group 0 when there is one).
      const mine = groups === 1 ? [0] : Array.from({ length: groups }, (_, g) => g).filter((g) => g % writers === w);
      for (let n = 0; performance.now() < deadline; n++) {
        const g = mine[n % mine.length] as number;
        const index = next[g] as number;
        next[g] = index + 1;
        const s = performance.now();
        await target.write(g, index, payloads[(w + n) & 63] as Uint8Array);
        latencies.push(performance.now() - s);
        entries++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(writers, groups === 1 ? writers : groups) }, (_, w) => writer(w)));
    const secs = (performance.now() - t0) / 1000;
    const fsyncs = target.fsyncs();
    // Bytes and CPU count the work the engine owes for this data too (not its time).
    await target.settle();
    const cpu = process.cpuUsage(cpu0);
    await target.close();
    const written = fs.stats.snapshot().total.writeBytes - bytesBefore;
    const logical = entries * entryBytes;
    latencies.sort((a, b) => a - b);
    return {
      engine,
      entryBytes,
      writers,
      groups,
      entries,
      seconds: secs,
      entriesPerSec: entries / secs,
      MBps: logical / secs / MB,
      fsyncsPerSec: fsyncs / secs,
      writeAmp: written / logical,
      cpuSecPerGB: (cpu.user + cpu.system) / 1e6 / (logical / 1e9),
      p50ms: quantile(latencies, 0.5),
      p99ms: quantile(latencies, 0.99),
    };
  } finally {
    tmp.remove();
  }
}

async function measureRecovery(rng: Rng): Promise<Recovery> {
  const tmp = makeTempDir('strata-bench-raftlog-recovery-');
  try {
    const fs = new NodeFileSystem();
    const dir = join(tmp.path, 'db');
    const store = await RaftLogStore.open(dir, { fs });
    const entryBytes = 1024;
    const perBatch = 64;
    // Random data, so lz4 keeps none of it and the files hold the full size.
    const payloads = Array.from({ length: perBatch }, () => rng.bytes(entryBytes));
    const batches = Math.ceil(RECOVERY_BYTES / (entryBytes * perBatch));
    for (let b = 0; b < batches; b++) {
      const group = b % 100;
      const first = Math.floor(b / 100) * perBatch + 1;
      const es = payloads.map((data, i) => ({ index: first + i, term: 1, data }));
      await store.write(new LogBatch().append(group, es).setHardState(group, { term: 1, vote: 1, commit: first }), { sync: b === batches - 1 });
    }
    await store.close();
    const reopenMs: number[] = [];
    let last: RaftLogStore | undefined;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const s = await RaftLogStore.open(dir, { fs });
      reopenMs.push(performance.now() - t0);
      if (i < 2) await s.close();
      else last = s;
    }
    const st = (last as RaftLogStore).stats();
    await (last as RaftLogStore).close();
    const sorted = [...reopenMs].sort((a, b) => a - b);
    return {
      bytes: st.recovery.bytes,
      entries: st.entries,
      segments: st.recovery.segments,
      reopenMs,
      medianMs: quantile(sorted, 0.5),
      indexBytesPerMillionEntries: (st.indexBytes / st.entries) * 1e6,
    };
  } finally {
    tmp.remove();
  }
}

function f(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const rng = new Rng(42);
  const tmp = makeTempDir('strata-bench-raftlog-raw-');
  let raw: Raw;
  try {
    raw = measureRaw(tmp.path, rng);
  } finally {
    tmp.remove();
  }
  const cases: Case[] = [];
  for (const entryBytes of [1024, 16 * 1024]) {
    for (const writers of [1, 64]) {
      for (const groups of [1, 100]) {
        for (const engine of ['raftlog', 'lsm'] as const) {
          const c = await runCase(engine, entryBytes, writers, groups, rng);
          cases.push(c);
          console.error(`${engine} ${entryBytes} B x${writers} writers, ${groups} groups: ${f(c.entriesPerSec)} entries/s, ${f(c.MBps, 1)} MB/s, WA ${f(c.writeAmp, 2)}`);
        }
      }
    }
  }
  const recovery = await measureRecovery(rng);
  console.error(`recovery of ${f(recovery.bytes / 2 ** 20)} MiB: ${f(recovery.medianMs)} ms`);

  const ratios = cases
    .filter((c) => c.engine === 'raftlog')
    .map((r) => {
      const l = cases.find((c) => c.engine === 'lsm' && c.entryBytes === r.entryBytes && c.writers === r.writers && c.groups === r.groups) as Case;
      return { entryBytes: r.entryBytes, writers: r.writers, groups: r.groups, throughput: r.entriesPerSec / l.entriesPerSec, bytesWritten: r.writeAmp / l.writeAmp, cpu: r.cpuSecPerGB / l.cpuSecPerGB };
    });
  const best16k = Math.max(...cases.filter((c) => c.engine === 'raftlog' && c.entryBytes === 16 * 1024 && c.writers === 64).map((c) => c.MBps));
  const goals = {
    throughputAtLeast2xLsm: ratios.every((r) => r.throughput >= 2),
    bytesAtMostHalfLsm: ratios.every((r) => r.bytesWritten <= 0.5),
    seqBandwidthShare64x16k: best16k / raw.seqFdatasyncMBps,
    reopen1GiBUnder2s: !quick && recovery.medianMs < 2000,
  };
  const json = { environment: environment(), quick, seconds: SECONDS, raw, cases, ratios, recovery, goals };

  const kib = (b: number): string => `${b / 1024} KiB`;
  const md = [
    `# Raft log: @strata/raftlog vs the same workload in @strata/lsm${quick ? ' (quick run)' : ''}`,
    '',
    `One run, side by side, ${SECONDS} s per case, every write one entry with sync (fdatasync). ${environment().cores} cores, Node ${process.version}. Entry data is half compressible. Bytes written and CPU include the work each engine owes when the writers stop (for the LSM: flushing the memtable and the compactions that triggers).`,
    '',
    `Disk limits in the same run: **${f(raw.appendFdatasyncPerSec)} append+fdatasync/s** (4 KiB), **${f(raw.overwriteFdatasyncPerSec)} overwrite+fdatasync/s** (4 KiB in place, blocks already allocated: the most synced writes one writer can get), **${f(raw.seqFdatasyncMBps, 1)} MB/s** sequential with fdatasync after each 1 MiB.`,
    '',
    table(
      ['entry', 'writers', 'groups', 'engine', 'entries/s', 'MB/s', 'fdatasync/s', 'bytes written / logical', 'CPU s / GB', 'p50 ms', 'p99 ms'],
      cases.map((c) => [kib(c.entryBytes), String(c.writers), String(c.groups), c.engine, f(c.entriesPerSec), f(c.MBps, 1), f(c.fsyncsPerSec), f(c.writeAmp, 2), f(c.cpuSecPerGB, 1), f(c.p50ms, 2), f(c.p99ms, 2)]),
    ),
    '',
    '## raftlog / lsm',
    '',
    table(
      ['entry', 'writers', 'groups', 'throughput ×', 'bytes written ×', 'CPU per byte ×'],
      ratios.map((r) => [kib(r.entryBytes), String(r.writers), String(r.groups), f(r.throughput, 2), f(r.bytesWritten, 2), f(r.cpu, 2)]),
    ),
    '',
    `With 64 writers and 16 KiB entries the Raft log reaches **${f(goals.seqBandwidthShare64x16k * 100)}%** of the disk's sequential fdatasync bandwidth.`,
    '',
    '## Recovery',
    '',
    `Reopening ${f(recovery.bytes / 2 ** 20)} MiB of log (${f(recovery.entries)} entries of 1 KiB over 100 groups, ${recovery.segments} segments; page cache warm): median **${f(recovery.medianMs)} ms** of ${recovery.reopenMs.map((m) => f(m)).join(', ')}. The entry index holds **${f(recovery.indexBytesPerMillionEntries / 2 ** 20, 1)} MiB per million entries**.`,
    '',
  ].join('\n');
  const paths = writeResults(quick ? 'raftlog-quick' : 'raftlog', json, md, outDir);
  console.error(`wrote ${paths.md}`);
}

await main();
