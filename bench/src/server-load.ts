// The bundled server against real etcd 3.4 (Debian's etcd-server), side by
// side on loopback, as a single member and as 3 members: etcdctl check
// perf (Go clients, hundreds of connections) at --load=l (and m for
// Strata's PASS goal), then a Node load generator (64 writers over 16 gRPC
// channels putting 256 B values) reporting writes/s and p50/p99 latency.
// Each setup runs on fresh data directories; etcd and Strata alternate so
// machine noise hits both. Results: bench/results/server.{json,md}.
//
// Usage: pnpm bench:server [--quick] [--servers strata,etcd] [--out DIR]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdctl, freePort, ProcessCluster, RawEtcdClient } from '@strata/server/testing';
import { environment, table, writeResults } from './lib/report.js';
import { flag, hasFlag } from './lib/workload.js';

const quick = hasFlag('--quick');
const outDir = flag('--out');
const SERVERS = (flag('--servers') ?? 'etcd,strata').split(',').filter((s): s is 'etcd' | 'strata' => s === 'etcd' || s === 'strata');
const LOAD_SECONDS = quick ? 3 : 15;
const WRITERS = 64;
const CHANNELS = 16;
const VALUE = Buffer.alloc(256, 0x61);

interface Cluster {
  readonly endpoints: string;
  stop(): Promise<void>;
}

async function waitHealthy(urls: readonly string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const u of urls) {
    for (;;) {
      try {
        const r = await fetch(u);
        if (r.ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${u} not healthy`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function startEtcd(n: number, dir: string): Promise<Cluster> {
  const ms = [];
  for (let i = 0; i < n; i++) ms.push({ name: `e${i + 1}`, client: await freePort(), peer: await freePort() });
  const cluster = ms.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const procs: ChildProcess[] = ms.map((m) =>
    spawn(
      'etcd',
      [
        `--name=${m.name}`,
        `--data-dir=${dir}/${m.name}`,
        `--listen-client-urls=http://127.0.0.1:${m.client}`,
        `--advertise-client-urls=http://127.0.0.1:${m.client}`,
        `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=bench',
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    ),
  );
  await waitHealthy(ms.map((m) => `http://127.0.0.1:${m.client}/health`));
  return {
    endpoints: ms.map((m) => `127.0.0.1:${m.client}`).join(','),
    stop: () => Promise.all(procs.map((p) => new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGTERM')))))).then(() => undefined),
  };
}

async function startStrata(n: number, dir: string): Promise<Cluster> {
  const c = await ProcessCluster.start(n, dir, ['--log-level=error']);
  return { endpoints: c.endpoints(), stop: () => c.stop() };
}

interface PerfResult {
  readonly load: string;
  readonly writesPerSec: number;
  readonly slowest: number;
  readonly stddev: number;
  readonly pass: boolean;
}

async function checkPerf(endpoints: string, load: string): Promise<PerfResult> {
  const r = await etcdctl(endpoints, ['check', 'perf', `--load=${load}`], { timeoutMs: 200_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 'NaN');
  return {
    load,
    writesPerSec: num(/Throughput (?:is|too low:) (\d+) writes\/s/),
    slowest: num(/Slowest request took (?:too long: )?([\d.]+)s/),
    stddev: num(/Stddev (?:is|too high: )([\d.]+)s/),
    pass: /^PASS$/m.test(text.replace(/\r/g, '\n')),
  };
}

interface LoadResult {
  readonly writesPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly errors: number;
}

async function nodeLoad(endpoints: string, seconds: number): Promise<LoadResult> {
  const hosts = endpoints.split(',');
  const clients = Array.from({ length: CHANNELS }, (_, i) => new RawEtcdClient(hosts[i % hosts.length] ?? ''));
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const c = clients[w % CHANNELS];
      if (c === undefined) return;
      while (Date.now() < end) {
        const s = performance.now();
        const r = await c.call('KV', 'Put', { key: Buffer.from(`bench/${w}/${n++ % 10_000}`), value: VALUE });
        if (r.ok) lat.push(performance.now() - s);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { writesPerSec: lat.length / elapsed, p50ms: q(0.5), p99ms: q(0.99), errors };
}

interface Row {
  readonly members: number;
  readonly server: 'strata' | 'etcd';
  readonly perf: PerfResult[];
  readonly load: LoadResult;
}

async function measure(members: number, server: 'strata' | 'etcd'): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${server}-`));
  const c = server === 'etcd' ? await startEtcd(members, dir) : await startStrata(members, dir);
  try {
    const perf: PerfResult[] = [];
    if (!quick) {
      perf.push(await checkPerf(c.endpoints, 'l'));
      if (server === 'strata') perf.push(await checkPerf(c.endpoints, 'm'));
    }
    const load = await nodeLoad(c.endpoints, LOAD_SECONDS);
    process.stdout.write(`${server} ×${members}: ${perf.map((p) => `check perf ${p.load} ${p.writesPerSec} w/s ${p.pass ? 'PASS' : 'FAIL'}`).join(', ')}; node load ${load.writesPerSec.toFixed(0)} w/s p50 ${load.p50ms.toFixed(2)} ms p99 ${load.p99ms.toFixed(2)} ms\n`);
    return { members, server, perf, load };
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const members of [1, 3]) for (const server of SERVERS) rows.push(await measure(members, server));
  const get = (m: number, s: string): Row | undefined => rows.find((r) => r.members === m && r.server === s);
  const perfL = (r: Row | undefined): PerfResult | undefined => r?.perf.find((p) => p.load === 'l');
  const md = [
    '# Server load: Strata against etcd 3.4',
    '',
    `One run on loopback, ${environment().cores} cores, Node ${process.version}, etcd ${'3.4.23'} (Debian). etcdctl check perf --load=l: 60 s, Go clients; --load=m for Strata's PASS goal. Node load: ${WRITERS} writers on ${CHANNELS} gRPC channels, ${LOAD_SECONDS} s, 256 B values.`,
    '',
    table(
      ['members', 'server', 'check perf l writes/s', 'l slowest s', 'l verdict', 'check perf m', 'node writes/s', 'p50 ms', 'p99 ms'],
      rows.map((r) => {
        const l = perfL(r);
        const m = r.perf.find((p) => p.load === 'm');
        return [String(r.members), r.server, l ? String(l.writesPerSec) : '–', l ? l.slowest.toFixed(3) : '–', l ? (l.pass ? 'PASS' : 'FAIL') : '–', m ? `${m.writesPerSec} ${m.pass ? 'PASS' : 'FAIL'}` : '–', r.load.writesPerSec.toFixed(0), r.load.p50ms.toFixed(2), r.load.p99ms.toFixed(2)];
      }),
    ),
    '',
    '## Strata / etcd',
    '',
    table(
      ['members', 'check perf l ×', 'node load ×'],
      [1, 3].map((m) => {
        const s = get(m, 'strata');
        const e = get(m, 'etcd');
        const ls = perfL(s)?.writesPerSec;
        const le = perfL(e)?.writesPerSec;
        return [String(m), ls !== undefined && le !== undefined ? (ls / le).toFixed(2) : '–', s && e ? (s.load.writesPerSec / e.load.writesPerSec).toFixed(2) : '–'];
      }),
    ),
    '',
  ].join('\n');
  const files = writeResults(quick ? 'server-quick' : 'server', { environment: environment(), rows }, md, outDir);
  process.stdout.write(`\n${md}\nwrote ${files.md}\n`);
}

await main();
