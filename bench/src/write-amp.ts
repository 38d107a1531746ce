// Write amplification of a random unique fill, Strata's LSM (leveled and
// tiered) against RocksDB's own db_bench (Debian's rocksdb-tools), with the
// same shape: N unique 16-byte keys in random order, 100-byte values (half
// compressible), lz4, 4 MiB memtables, written one key per batch.
//
// Total write amplification = (WAL + flush + compaction bytes written) / user
// bytes (keys + values). RocksDB's figures come from its --statistics
// counters (rocksdb.wal.bytes, rocksdb.flush.write.bytes,
// rocksdb.compact.write.bytes, rocksdb.bytes.written); ours from db.stats().
// If db_bench is not installed, its row says so.
// Flags: --quick, --num N, --out DIR.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LsmEngine, type LsmOptions } from '@strata/lsm';
import { NodeFileSystem, Rng } from '@strata/vfs';
import { environment, table, writeResults } from './lib/report.js';
import { flag, halfCompressibleValues, hasFlag, key16 } from './lib/workload.js';

const QUICK = hasFlag('--quick');
const N = Number(flag('--num') ?? (QUICK ? 20_000 : 1_000_000));
const OUT = flag('--out');
const MEMTABLE = 4 * 1024 * 1024;
const SEED = 7;

interface Row {
  engine: string;
  userBytes: number;
  walBytes: number;
  flushBytes: number;
  compactionBytes: number;
  totalWriteAmp: number;
  flushCompactionWriteAmp: number;
  seconds: number;
  opsPerSec: number;
  note?: string;
}

async function strata(name: string, options: Partial<LsmOptions>): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-wa-'));
  const rng = new Rng(SEED);
  const order = Array.from({ length: N }, (_, i) => i);
  rng.shuffle(order);
  const values = halfCompressibleValues(rng, 1024);
  const db = await LsmEngine.open({ tables: ['bench'], fs: new NodeFileSystem(), dir: join(dir, 'db'), writeBufferSize: MEMTABLE, ...options });
  try {
    const t0 = performance.now();
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        await db.write([{ type: 'put', table: 'bench', key: key16(order[i] as number), value: values[i & 1023] as Uint8Array }]);
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    await db.flush();
    await db.waitForCompactions();
    const ms = performance.now() - t0;
    const w = db.stats().writes;
    const row: Row = {
      engine: name,
      userBytes: w.userBytes,
      walBytes: w.walBytes,
      flushBytes: w.flushBytes,
      compactionBytes: w.compactionBytesWritten,
      totalWriteAmp: (w.walBytes + w.flushBytes + w.compactionBytesWritten) / w.userBytes,
      flushCompactionWriteAmp: (w.flushBytes + w.compactionBytesWritten) / w.userBytes,
      seconds: ms / 1000,
      opsPerSec: Math.round((N / ms) * 1000),
    };
    console.log(row);
    return row;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rocksdb(): Row {
  const dir = mkdtempSync(join(tmpdir(), 'strata-wa-rocksdb-'));
  const base: Row = { engine: 'rocksdb db_bench', userBytes: 0, walBytes: 0, flushBytes: 0, compactionBytes: 0, totalWriteAmp: 0, flushCompactionWriteAmp: 0, seconds: 0, opsPerSec: 0 };
  try {
    let out: string;
    try {
      out = execFileSync(
        'db_bench',
        [
          '--benchmarks=filluniquerandom',
          `--num=${N}`,
          '--key_size=16',
          '--value_size=100',
          '--compression_ratio=0.5',
          '--compression_type=lz4',
          `--write_buffer_size=${MEMTABLE}`,
          '--statistics',
          '--threads=1',
          `--db=${dir}`,
          `--seed=${SEED}`,
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      return { ...base, note: `db_bench not available: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    }
    const counter = (name: string): number => {
      const m = new RegExp(`^${name.replace(/\./g, '\\.')} COUNT : (\\d+)`, 'm').exec(out);
      return m === null ? 0 : Number(m[1]);
    };
    const ops = /filluniquerandom\s*:\s*([\d.]+) micros\/op (\d+) ops\/sec/.exec(out);
    const userBytes = N * (16 + 100);
    const walBytes = counter('rocksdb.wal.bytes');
    const flushBytes = counter('rocksdb.flush.write.bytes');
    const compactionBytes = counter('rocksdb.compact.write.bytes');
    const row: Row = {
      ...base,
      userBytes,
      walBytes,
      flushBytes,
      compactionBytes,
      totalWriteAmp: (walBytes + flushBytes + compactionBytes) / userBytes,
      flushCompactionWriteAmp: (flushBytes + compactionBytes) / userBytes,
      seconds: ops === null ? 0 : (N * Number(ops[1])) / 1e6,
      opsPerSec: ops === null ? 0 : Number(ops[2]),
      note: `rocksdb.bytes.written ${counter('rocksdb.bytes.written')} (user bytes as RocksDB counts them)`,
    };
    console.log(row);
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [
  rocksdb(),
  await strata('strata-lsm leveled k=10', { compaction: { style: 'leveled', fanout: 10 } }),
  await strata('strata-lsm leveled k=4', { compaction: { style: 'leveled', fanout: 4 } }),
  await strata('strata-lsm tiered', { compaction: { style: 'tiered' } }),
];
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
const md = [
  `# Write amplification, random unique fill${QUICK ? ' (quick)' : ''}`,
  '',
  `${N} unique 16-byte keys in random order, 100-byte values (half compressible), lz4, 4 MiB memtables, one key per batch. Total = (WAL + flush + compaction) / user bytes.`,
  '',
  table(
    ['engine', 'user MiB', 'WAL MiB', 'flush MiB', 'compaction MiB', 'total WA', 'flush+compaction WA', 'ops/s'],
    rows.map((r) => [r.engine, mib(r.userBytes), mib(r.walBytes), mib(r.flushBytes), mib(r.compactionBytes), r.totalWriteAmp.toFixed(2), r.flushCompactionWriteAmp.toFixed(2), String(r.opsPerSec)]),
  ),
  '',
  ...rows.filter((r) => r.note !== undefined).map((r) => `- ${r.engine}: ${r.note}`),
  '',
].join('\n');
const paths = writeResults('write-amp', { environment: environment(), num: N, quick: QUICK, memtableBytes: MEMTABLE, rows }, md, OUT);
console.log(`results: ${paths.md}`);
