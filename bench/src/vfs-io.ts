// Which node:fs API should the vfs seam use? Measures, side by side in one
// run on the real disk: the synchronous calls, the callback API and the
// fs/promises FileHandle API, for the operations engines do most: a 4 KiB
// positional read of page-cached data, a 4 KiB write into the page cache,
// fdatasync, and metadata calls; then reads with 64 in flight, and the cost
// the NodeFileSystem layer adds over raw readSync. For every case it also
// records how long the event loop is blocked per call. Results go to
// bench/results/vfs-io.{json,md}; docs/vfs.md explains the choice.
//
// Usage: pnpm bench:vfs [--quick] [--out DIR]

import { closeSync, constants, fdatasync, fdatasyncSync, openSync, read, readSync, renameSync, statSync, write, writeSync } from 'node:fs';
import { open as openAsync, rename as renameAsync, stat as statAsync, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { NodeFileSystem, Rng } from '@strata/vfs';
import { makeTempDir } from '@strata/vfs/testing';
import { environment, table, us, writeResults } from './lib/report.js';
import { flag, hasFlag } from './lib/workload.js';

const quick = hasFlag('--quick');
const outDir = flag('--out');
const FILE_SIZE = 64 << 20;
const BLOCK = 4096;
const TIME_MS = quick ? 150 : 700;

interface Case {
  readonly op: string;
  readonly api: 'sync' | 'callback' | 'promise' | 'vfs';
  readonly p50us: number;
  readonly p99us: number;
  readonly opsPerSec: number;
  /** Event-loop time blocked per call, median, µs. For sync calls it is the whole call. */
  readonly loopBlockedUs: number;
}

function readCb(fd: number, buf: Uint8Array, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}
function writeCb(fd: number, buf: Uint8Array, pos: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}
function datasyncCb(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const tmp = makeTempDir('strata-vfs-io-');
  const rng = new Rng(42);
  const results: Case[] = [];
  try {
    const path = join(tmp.path, 'data.bin');
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const chunk = rng.bytes(1 << 20);
    for (let off = 0; off < FILE_SIZE; off += chunk.length) writeSync(fd, chunk, 0, chunk.length, off);
    fdatasyncSync(fd);
    const handle: FileHandle = await openAsync(path, 'r+');
    const buf = new Uint8Array(BLOCK);
    const block = rng.bytes(BLOCK);
    const offsets = Array.from({ length: 4096 }, () => rng.int(FILE_SIZE / BLOCK) * BLOCK);
    let i = 0;
    const nextOffset = (): number => offsets[i++ & 4095] as number;
    // Warm the page cache for every offset we will read.
    for (const off of offsets) readSync(fd, buf, 0, BLOCK, off);

    const vfs = new NodeFileSystem();
    const vfile = vfs.open(path);

    const blocked: Record<string, number[]> = {};
    const timeCall = <T>(key: string, fn: () => T): T => {
      const t0 = performance.now();
      const out = fn();
      (blocked[key] ??= []).push(performance.now() - t0);
      return out;
    };

    const bench = new Bench({ time: TIME_MS, warmupTime: 50 });
    bench
      .add('read 4 KiB|sync', () => void timeCall('read 4 KiB|sync', () => readSync(fd, buf, 0, BLOCK, nextOffset())))
      .add('read 4 KiB|callback', async () => void (await timeCall('read 4 KiB|callback', () => readCb(fd, buf, nextOffset()))))
      .add('read 4 KiB|promise', async () => void (await timeCall('read 4 KiB|promise', () => handle.read(buf, 0, BLOCK, nextOffset()))))
      .add('read 4 KiB|vfs', () => void timeCall('read 4 KiB|vfs', () => vfile.readInto(buf, nextOffset())))
      .add('read 4 KiB, new buffer|vfs', () => void timeCall('read 4 KiB, new buffer|vfs', () => vfile.read(nextOffset(), BLOCK)))
      .add('write 4 KiB|sync', () => void timeCall('write 4 KiB|sync', () => writeSync(fd, block, 0, BLOCK, nextOffset())))
      .add('write 4 KiB|callback', async () => void (await timeCall('write 4 KiB|callback', () => writeCb(fd, block, nextOffset()))))
      .add('write 4 KiB|promise', async () => void (await timeCall('write 4 KiB|promise', () => handle.write(block, 0, BLOCK, nextOffset()))))
      .add('stat|sync', () => void timeCall('stat|sync', () => statSync(path)))
      .add('stat|promise', async () => void (await timeCall('stat|promise', () => statAsync(path))))
      .add('open+close|sync', () => void timeCall('open+close|sync', () => closeSync(openSync(path, 'r'))))
      .add('open+close|promise', async () => {
        const h = await timeCall('open+close|promise', () => openAsync(path, 'r'));
        await h.close();
      });
    await bench.run();

    // fdatasync is slow and varies with the device: fewer, longer samples.
    const syncBench = new Bench({ time: quick ? 300 : 2000, warmupTime: 50, iterations: 20 });
    syncBench
      .add('write 4 KiB + fdatasync|sync', () => {
        writeSync(fd, block, 0, BLOCK, nextOffset());
        timeCall('write 4 KiB + fdatasync|sync', () => fdatasyncSync(fd));
      })
      .add('write 4 KiB + fdatasync|callback', async () => {
        writeSync(fd, block, 0, BLOCK, nextOffset());
        await timeCall('write 4 KiB + fdatasync|callback', () => datasyncCb(fd));
      })
      .add('write 4 KiB + fdatasync|promise', async () => {
        writeSync(fd, block, 0, BLOCK, nextOffset());
        await timeCall('write 4 KiB + fdatasync|promise', () => handle.datasync());
      })
      .add('rename|sync', () => {
        timeCall('rename|sync', () => renameSync(join(tmp.path, 'a'), join(tmp.path, 'b')));
        renameSync(join(tmp.path, 'b'), join(tmp.path, 'a'));
      })
      .add('rename|promise', async () => {
        await timeCall('rename|promise', () => renameAsync(join(tmp.path, 'a'), join(tmp.path, 'b')));
        renameSync(join(tmp.path, 'b'), join(tmp.path, 'a'));
      });
    closeSync(openSync(join(tmp.path, 'a'), 'w'));
    await syncBench.run();

    for (const task of [...bench.tasks, ...syncBench.tasks]) {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
      const [op, api] = task.name.split('|') as [string, Case['api']];
      results.push({
        op,
        api,
        p50us: r.latency.p50 * 1000,
        p99us: r.latency.p99 * 1000,
        opsPerSec: r.throughput.mean,
        loopBlockedUs: median(blocked[task.name] ?? [0]) * 1000,
      });
    }

    // Throughput with many reads in flight: does the thread pool's parallelism beat sequential readSync?
    const N = quick ? 5_000 : 50_000;
    const concurrency: { api: string; inFlight: number; opsPerSec: number }[] = [];
    let t0 = performance.now();
    for (let k = 0; k < N; k++) readSync(fd, buf, 0, BLOCK, nextOffset());
    concurrency.push({ api: 'sync', inFlight: 1, opsPerSec: N / ((performance.now() - t0) / 1000) });
    for (const inFlight of [4, 64]) {
      t0 = performance.now();
      let issued = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          const own = new Uint8Array(BLOCK);
          while (issued++ < N) await readCb(fd, own, nextOffset());
        }),
      );
      concurrency.push({ api: 'callback', inFlight, opsPerSec: N / ((performance.now() - t0) / 1000) });
    }

    vfile.close();
    await handle.close();
    closeSync(fd);

    const find = (op: string, api: string): Case => {
      const c = results.find((r) => r.op === op && r.api === api);
      if (c === undefined) throw new Error(`missing ${op} ${api}`);
      return c;
    };
    const ratio = (op: string, api: string): string => (find(op, api).p50us / find(op, 'sync').p50us).toFixed(1);
    const env = environment();
    const rows = results.map((c) => [
      c.op,
      c.api,
      us(c.p50us / 1000),
      us(c.p99us / 1000),
      Math.round(c.opsPerSec).toLocaleString('en-US'),
      us(c.loopBlockedUs / 1000),
    ]);
    const md = [
      '# node:fs API costs (vfs-io)',
      '',
      `Measured ${env.date.slice(0, 10)} on ${env.cpu} (${env.cores} cores), Node ${env.node}, ext4, one run, side by side.` +
        (quick ? ' **Quick mode: short samples.**' : ''),
      'Regenerate with `pnpm bench:vfs`. Latencies are medians (p50) and p99 in µs; "loop blocked" is how long each call holds the event loop.',
      '',
      table(['operation', 'API', 'p50 µs', 'p99 µs', 'ops/s', 'loop blocked µs'], rows),
      '',
      '## Ratios of medians against the sync call',
      '',
      table(
        ['operation', 'callback / sync', 'promise / sync'],
        ['read 4 KiB', 'write 4 KiB', 'stat', 'write 4 KiB + fdatasync'].map((op) => [
          op,
          op === 'stat' ? '-' : `${ratio(op, 'callback')}×`,
          `${ratio(op, 'promise')}×`,
        ]),
      ),
      '',
      // For a synchronous call, the time measured around the call is the call's whole cost.
      `Per call, timed around the call itself: raw readSync ${us(find('read 4 KiB', 'sync').loopBlockedUs / 1000)} µs, ` +
        `NodeFileSystem.readInto into a caller's buffer ${us(find('read 4 KiB', 'vfs').loopBlockedUs / 1000)} µs, ` +
        `File.read returning a new buffer ${us(find('read 4 KiB, new buffer', 'vfs').loopBlockedUs / 1000)} µs. ` +
        'Allocating a 4 KiB ArrayBuffer is the expensive part, so hot paths (block and page caches) read into buffers they own.',
      '',
      '## Page-cached 4 KiB reads with many in flight',
      '',
      table(
        ['API', 'in flight', 'ops/s'],
        concurrency.map((c) => [c.api, String(c.inFlight), Math.round(c.opsPerSec).toLocaleString('en-US')]),
      ),
      '',
    ].join('\n');
    const paths = writeResults('vfs-io', { environment: env, quick, cases: results, concurrency }, md, outDir);
    console.log(md);
    console.log(`\nwrote ${paths.json} and ${paths.md}`);
  } finally {
    tmp.remove();
  }
}

await main();
