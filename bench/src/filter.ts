// Which bloom filter for SSTables? Measures, side by side in one run with a
// fixed seed and 16-byte keys, the per-key cost of add and of a membership
// test (present and absent keys), and the false-positive rate at 10 bits per
// key, for: the bloom-filters package with its default hashing (xxhashjs
// h64, twice per key), the same with Hashing.serialize overridden to use
// xxhash-wasm, and Strata's own sstable/bloom.ts (one murmur3 hash in JS,
// LevelDB double hashing). Results go to bench/results/filter.{json,md}.
//
// Usage: node bench/dist/filter.js [--quick] [--out DIR]

import bloomFilters from 'bloom-filters';
import { Bench } from 'tinybench';
import xxhash from 'xxhash-wasm';
import { Rng } from '@strata/vfs';
// The sstable layer is internal to @strata/lsm (its index exports only the engine), so the
// benchmark reaches the built module directly; tsconfig's reference builds it first.
import { bloomAdd, bloomMayContain, bloomProbes, newBloomFilter } from '@strata/lsm/sstable';
import { environment, table, writeResults } from './lib/report.js';
import { flag, hasFlag } from './lib/workload.js';

const quick = hasFlag('--quick');
const outDir = flag('--out');

const SEED = 42;
const KEY_SIZE = 16;
const BITS_PER_KEY = 10;
/** Keys added; as many absent keys are tested for the false-positive rate. */
const KEYS = quick ? 20_000 : 100_000;
/** Operations per benchmark iteration, so timer overhead is amortized. */
const BATCH = 1000;
const TIME_MS = quick ? 60 : 400;
const LOW_32_BITS = 0xffff_ffffn;

type Input = Parameters<InstanceType<typeof bloomFilters.Hashing>['serialize']>[0];

/** What each contender offers. */
interface Filter {
  readonly name: string;
  readonly probes: number;
  add(key: Uint8Array, asBuffer: Buffer): void;
  has(key: Uint8Array, asBuffer: Buffer): boolean;
}

interface Result {
  readonly filter: string;
  readonly probes: number;
  readonly bitsPerKey: number;
  readonly addNs: number;
  readonly testPresentNs: number;
  readonly testAbsentNs: number;
  readonly falsePositiveRate: number;
  readonly falseNegatives: number;
}

function libraryFilter(name: string, hashing?: InstanceType<typeof bloomFilters.Hashing>): Filter {
  const probes = Math.ceil(BITS_PER_KEY * Math.LN2); // the library's own optimum (optimalHashes)
  const f = new bloomFilters.BloomFilter(KEYS * BITS_PER_KEY, probes);
  f.seed = SEED;
  if (hashing !== undefined) f._hashing = hashing;
  return { name, probes, add: (_k, b) => f.add(b), has: (_k, b) => f.has(b) };
}

function strataFilter(): Filter {
  const f = newBloomFilter(KEYS, BITS_PER_KEY);
  return { name: 'strata sstable/bloom', probes: bloomProbes(BITS_PER_KEY), add: (k) => bloomAdd(f, k), has: (k) => bloomMayContain(f, k) };
}

async function main(): Promise<void> {
  const api = await xxhash();
  /**
   * bloom-filters' extension point: serialize(element, seed) → a number. Like the default
   * (cuint's UINT64.toNumber), it returns the low 32 bits of h64. It must stay a small integer:
   * the library does its index arithmetic in doubles, and Number() of a full 64-bit hash keeps
   * too few low bits (measured: 99% false positives).
   */
  class XxHashWasm extends bloomFilters.Hashing {
    override serialize(element: Input, seed?: number): number {
      const bytes = typeof element === 'string' ? new TextEncoder().encode(element) : element instanceof ArrayBuffer ? new Uint8Array(element) : element;
      return Number(api.h64Raw(bytes, BigInt(seed ?? SEED)) & LOW_32_BITS);
    }
  }

  const rng = new Rng(SEED);
  const keys = Array.from({ length: KEYS }, () => rng.bytes(KEY_SIZE));
  const absent = Array.from({ length: KEYS }, () => rng.bytes(KEY_SIZE));
  const buf = (k: Uint8Array): Buffer => Buffer.from(k.buffer, k.byteOffset, k.length);
  const keyBufs = keys.map(buf);
  const absentBufs = absent.map(buf);

  const filters = [libraryFilter('bloom-filters (default: xxhashjs h64)'), libraryFilter('bloom-filters + xxhash-wasm', new XxHashWasm()), strataFilter()];
  const results: Result[] = [];
  for (const f of filters) {
    for (let i = 0; i < KEYS; i++) f.add(keys[i] as Uint8Array, keyBufs[i] as Buffer);
    let falseNegatives = 0;
    for (let i = 0; i < KEYS; i++) if (!f.has(keys[i] as Uint8Array, keyBufs[i] as Buffer)) falseNegatives++;
    let fp = 0;
    for (let i = 0; i < KEYS; i++) if (f.has(absent[i] as Uint8Array, absentBufs[i] as Buffer)) fp++;

    // Per-op costs: each iteration runs BATCH operations over consecutive keys.
    let cursor = 0;
    const batch = (op: (i: number) => void) => (): void => {
      for (let j = 0; j < BATCH; j++) {
        op(cursor);
        cursor = cursor + 1 === KEYS ? 0 : cursor + 1;
      }
    };
    let sink = 0;
    const bench = new Bench({ time: TIME_MS, warmupTime: quick ? 20 : 100 });
    bench
      .add('add', batch((i) => f.add(keys[i] as Uint8Array, keyBufs[i] as Buffer)))
      .add('test present', batch((i) => void (sink += f.has(keys[i] as Uint8Array, keyBufs[i] as Buffer) ? 1 : 0)))
      .add('test absent', batch((i) => void (sink += f.has(absent[i] as Uint8Array, absentBufs[i] as Buffer) ? 1 : 0)));
    await bench.run();
    const ns = (name: string): number => {
      const task = bench.tasks.find((t) => t.name === name);
      const r = task?.result;
      if (r?.state !== 'completed') throw new Error(`${f.name} ${name}: ${r?.state ?? 'missing'}`);
      return (r.latency.p50 * 1e6) / BATCH;
    };
    if (sink < 0) throw new Error('unreachable');
    results.push({
      filter: f.name,
      probes: f.probes,
      bitsPerKey: BITS_PER_KEY,
      addNs: ns('add'),
      testPresentNs: ns('test present'),
      testAbsentNs: ns('test absent'),
      falsePositiveRate: fp / KEYS,
      falseNegatives,
    });
  }

  const env = environment();
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const strata = results[results.length - 1] as Result;
  const md = [
    '# Bloom filter for SSTables (filter)',
    '',
    `Measured ${env.date.slice(0, 10)} on ${env.cpu} (${env.cores} cores), Node ${env.node}, one run, side by side.` +
      (quick ? ' **Quick mode: short samples.**' : ''),
    `${KEYS.toLocaleString('en-US')} random ${KEY_SIZE}-byte keys (seed ${SEED}) added at ${BITS_PER_KEY} bits/key; ` +
      `the false-positive rate is over as many absent keys. Costs are medians per operation, in ns, from batches of ${BATCH}. ` +
      'Regenerate with `node bench/dist/filter.js`.',
    '',
    table(
      ['filter', 'k', 'add ns', 'test present ns', 'test absent ns', 'false positives', 'false negatives'],
      results.map((r) => [r.filter, String(r.probes), fmt(r.addNs), fmt(r.testPresentNs), fmt(r.testAbsentNs), `${(r.falsePositiveRate * 100).toFixed(2)}%`, String(r.falseNegatives)]),
    ),
    '',
    `Strata's filter hashes each key once in JS without allocating and derives its ${strata.probes} probes by double hashing; ` +
      'bloom-filters hashes every key twice (h64 with two seeds, keeping the low 32 bits), allocates an index array per call, ' +
      'and by default runs xxhashjs, which does 64-bit arithmetic on 16-bit limbs in objects; swapping in xxhash-wasm removes most ' +
      'of that but keeps the wasm call and BigInt costs. The rates differ a little with k and the hash; all stay near the ~1% ' +
      'that 10 bits/key allows.',
    '',
  ].join('\n');
  const paths = writeResults('filter', { environment: env, quick, seed: SEED, keys: KEYS, keySize: KEY_SIZE, batch: BATCH, results }, md, outDir);
  console.log(md);
  console.log(`\nwrote ${paths.json} and ${paths.md}`);
}

await main();
