// The Raft core's throughput: committed entries per second of a 3-node
// cluster of RawNodes over MemoryStorage in one process (one thread), with
// no disk, no network and no serialization: messages are handed from one
// node's Ready to the next node's step() as the same objects. The driver
// proposes `batch` commands to the leader, then handles every node's Ready
// by the contract (persist, send, apply, advance) and delivers the messages
// sent, and repeats; the nodes pipeline across rounds. Measures entries/s
// applied on the leader and on all three nodes, for 100 B and 1 KiB
// commands and several batch sizes, over several runs (median and spread);
// then profiles one case with the V8 sampling profiler and lists the
// functions with the most self time. Fixed seed. With --baseline DIR (a
// copy of an earlier build of packages/raft: DIR/dist and node_modules),
// each case is then run again on that build and this one, interleaved, for
// a before/after comparison from one session on the same noisy machine.
// Results go to bench/results/raft-core.{json,md}.
//
// Usage: pnpm bench:raft [--quick] [--runs N] [--entries N] [--bytes B] [--batch N]
//                        [--baseline DIR [--baseline-name TEXT]] [--out DIR]

import { execFile } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { EntryType, MemoryStorage, RawNode, bootstrap, type Message, type NodeId } from '@strata/raft';
import { applyConfChangeEntry } from '@strata/raft/testing';
import { Rng } from '@strata/vfs';
import { environment, table, writeResults } from './lib/report.js';
import { flag, hasFlag } from './lib/workload.js';

const quick = hasFlag('--quick');
const outDir = flag('--out');
const baselineDir = flag('--baseline');
/** What the baseline is, for the report (default: its directory). */
const baselineName = flag('--baseline-name') ?? baselineDir;
const RUNS = Number(flag('--runs') ?? (quick ? 2 : 7));
/** Entries proposed per run (a batch size of 1 runs an eighth of them: it is the slow case). */
const ENTRIES = Number(flag('--entries') ?? (quick ? 4096 : 262_144));
/** Command sizes and batch sizes measured (--bytes and --batch pick one of each, for a closer look). */
const COMMAND_BYTES = flag('--bytes') === undefined ? [100, 1024] : [Number(flag('--bytes'))];
const BATCHES = flag('--batch') === undefined ? [1, 16, 256, 1024] : [Number(flag('--batch'))];
const TARGET = 500_000;
const SEED = 42;
const IDS: readonly NodeId[] = [1, 2, 3];
/** Each node compacts its storage (to the lowest applied index in the cluster) once it holds this many entries, as a server would. */
const COMPACT_EVERY = 65_536;

/** What the driver uses of a Raft build: this one, or a baseline loaded from elsewhere. */
interface Core {
  readonly RawNode: typeof RawNode;
  readonly MemoryStorage: typeof MemoryStorage;
  readonly bootstrap: typeof bootstrap;
  readonly applyConfChangeEntry: typeof applyConfChangeEntry;
}

const CURRENT: Core = { RawNode, MemoryStorage, bootstrap, applyConfChangeEntry };

async function loadBaseline(dir: string): Promise<Core> {
  const url = (p: string): string => pathToFileURL(resolve(dir, p)).href;
  const main = (await import(url('dist/index.js'))) as Pick<Core, 'RawNode' | 'MemoryStorage' | 'bootstrap'>;
  const testing = (await import(url('dist/testing/index.js'))) as Pick<Core, 'applyConfChangeEntry'>;
  return { RawNode: main.RawNode, MemoryStorage: main.MemoryStorage, bootstrap: main.bootstrap, applyConfChangeEntry: testing.applyConfChangeEntry };
}

interface BenchNode {
  readonly id: NodeId;
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  /** Normal entries with data applied so far. */
  applied: number;
  appliedIndex: number;
}

interface Counters {
  readies: number;
  messages: number;
  msgApps: number;
  /** Entries carried by MsgApps. */
  appEntries: number;
}

/** Three nodes and the driver that handles their Readies and carries their messages. */
class Cluster {
  readonly nodes: BenchNode[] = [];
  readonly #byId = new Map<NodeId, BenchNode>();
  /** Messages taken from Readies, not yet delivered. */
  #outbox: Message[] = [];
  readonly counters: Counters = { readies: 0, messages: 0, msgApps: 0, appEntries: 0 };
  readonly #core: Core;

  constructor(core: Core, seed: number) {
    this.#core = core;
    const boot = core.bootstrap(IDS);
    for (const id of IDS) {
      const storage = new core.MemoryStorage();
      storage.append(boot.entries);
      storage.setHardState(boot.hardState);
      const node = new core.RawNode({ id, storage, rng: new Rng((seed * 31) ^ id) });
      const n: BenchNode = { id, node, storage, applied: 0, appliedIndex: 0 };
      this.nodes.push(n);
      this.#byId.set(id, n);
    }
    // The first Ready applies the bootstrap conf changes; then node 1 wins an election.
    this.settle();
    (this.nodes[0] as BenchNode).node.campaign();
    this.settle();
    if ((this.nodes[0] as BenchNode).node.raft.role !== 'leader') throw new Error('node 1 did not become leader');
  }

  get leader(): BenchNode {
    return this.nodes[0] as BenchNode;
  }

  /** Handles every node's Ready by the contract: persist, send (to the outbox), apply, advance. */
  handleReadies(): void {
    for (const n of this.nodes) {
      while (n.node.hasReady()) {
        const rd = n.node.ready();
        this.counters.readies++;
        if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
        n.storage.append(rd.entries);
        if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) this.#outbox.push(m);
        for (const e of rd.committedEntries) {
          if (e.type === EntryType.ConfChange) this.#core.applyConfChangeEntry(n.node, e);
          else if (e.data.length > 0) n.applied++;
          n.appliedIndex = e.index;
        }
        n.node.advance(rd);
      }
    }
  }

  /** Delivers the messages sent so far (the ones they cause wait for the next round); returns how many. */
  deliver(): number {
    const msgs = this.#outbox;
    this.#outbox = [];
    this.counters.messages += msgs.length;
    for (const m of msgs) {
      if (m.type === 'MsgApp') {
        this.counters.msgApps++;
        this.counters.appEntries += m.entries.length;
      }
      (this.#byId.get(m.to) as BenchNode).node.step(m);
    }
    return msgs.length;
  }

  /** Rounds until nothing is left to persist, send or apply. */
  settle(): void {
    for (;;) {
      this.handleReadies();
      if (this.#outbox.length === 0) return;
      this.deliver();
    }
  }

  /** Compacts every node's storage to the lowest applied index once it holds COMPACT_EVERY entries. */
  maybeCompact(): void {
    const s = this.leader.storage;
    if (s.lastIndex() - s.firstIndex() < COMPACT_EVERY) return;
    const upTo = Math.min(...this.nodes.map((n) => n.appliedIndex));
    for (const n of this.nodes) if (upTo >= n.storage.firstIndex()) n.storage.compact(upTo);
  }
}

interface Run {
  /** Seconds until the leader applied every entry, and until all three nodes did. */
  readonly leaderSeconds: number;
  readonly allSeconds: number;
  readonly counters: Counters;
}

/** Proposes `entries` commands in rounds of `batch` to a new cluster, and runs rounds until every node applied them; times the leader's and the cluster's last apply. */
function runOnce(core: Core, batch: number, entries: number, payloads: readonly Uint8Array[]): Run {
  const c = new Cluster(core, SEED);
  const leader = c.leader;
  const base = c.nodes.map((n) => n.applied);
  const done = (n: BenchNode, i: number): boolean => n.applied - (base[i] as number) >= entries;
  const mask = payloads.length - 1;
  let proposed = 0;
  let rounds = 0;
  let leaderAt = 0;
  let allAt = 0;
  const t0 = performance.now();
  while (allAt === 0) {
    const n = Math.min(batch, entries - proposed);
    for (let i = 0; i < n; i++) leader.node.propose(payloads[(proposed + i) & mask] as Uint8Array);
    proposed += n;
    c.handleReadies();
    const delivered = c.deliver();
    rounds++;
    if (leaderAt === 0 && done(leader, 0)) leaderAt = performance.now();
    if (c.nodes.every(done)) allAt = performance.now();
    else if (proposed === entries && delivered === 0) throw new Error(`the cluster went quiet before all nodes applied ${entries} entries`);
    if ((rounds & 63) === 0) c.maybeCompact();
  }
  return { leaderSeconds: (leaderAt - t0) / 1000, allSeconds: (allAt - t0) / 1000, counters: c.counters };
}

/** One build's figures for a case. */
interface Stats {
  /** Per run, entries/s applied on the leader and on all nodes. */
  readonly leaderRates: readonly number[];
  readonly allRates: readonly number[];
  readonly leaderMedian: number;
  readonly leaderMin: number;
  readonly leaderMax: number;
  readonly allMedian: number;
  /** Wall-clock µs per entry at the leader's median rate (all three nodes' work, one thread). */
  readonly usPerEntry: number;
  /** Per entry, from the last run: messages delivered, Readies handled; and entries per MsgApp. */
  readonly messagesPerEntry: number;
  readonly readiesPerEntry: number;
  readonly entriesPerMsgApp: number;
}

interface Case {
  readonly commandBytes: number;
  readonly batch: number;
  readonly entries: number;
  /** This build's runs, on their own. */
  readonly current: Stats;
  /** With --baseline: runs of the baseline build and of this one, interleaved (each carries the other's garbage, so both are slower than alone). */
  readonly comparison: { readonly before: Stats; readonly after: Stats } | undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function makePayloads(bytes: number): Uint8Array[] {
  const rng = new Rng(SEED + bytes);
  return Array.from({ length: 256 }, () => rng.bytes(bytes));
}

function stats(runs: readonly Run[], entries: number): Stats {
  const leaderRates = runs.map((r) => entries / r.leaderSeconds);
  const allRates = runs.map((r) => entries / r.allSeconds);
  const last = (runs[runs.length - 1] as Run).counters;
  const leaderMedian = median(leaderRates);
  return {
    leaderRates,
    allRates,
    leaderMedian,
    leaderMin: Math.min(...leaderRates),
    leaderMax: Math.max(...leaderRates),
    allMedian: median(allRates),
    usPerEntry: 1e6 / leaderMedian,
    messagesPerEntry: last.messages / entries,
    readiesPerEntry: last.readies / entries,
    entriesPerMsgApp: last.appEntries / Math.max(1, last.msgApps),
  };
}

/** RUNS runs of each build, interleaved, alternating which goes first so drift in the machine's speed hits all alike. */
function runBuilds(cores: readonly Core[], batch: number, entries: number, payloads: readonly Uint8Array[]): Stats[] {
  // A warm-up run lets V8 optimize the hot paths; it is not counted.
  for (const core of cores) runOnce(core, batch, Math.min(entries, 32_768), payloads);
  const runs: Run[][] = cores.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < cores.length; k++) {
      const c = (i + k) % cores.length;
      (runs[c] as Run[]).push(runOnce(cores[c] as Core, batch, entries, payloads));
    }
  }
  return runs.map((r) => stats(r, entries));
}

function runCase(bytes: number, batch: number, baseline: Core | undefined): Case {
  const entries = batch === 1 ? ENTRIES / 8 : ENTRIES;
  const payloads = makePayloads(bytes);
  const [current] = runBuilds([CURRENT], batch, entries, payloads) as [Stats];
  if (baseline === undefined) return { commandBytes: bytes, batch, entries, current, comparison: undefined };
  const [after, before] = runBuilds([CURRENT, baseline], batch, entries, payloads) as [Stats, Stats];
  return { commandBytes: bytes, batch, entries, current, comparison: { before, after } };
}

interface Hot {
  readonly fn: string;
  readonly where: string;
  readonly selfPercent: number;
}

interface Profiled {
  readonly commandBytes: number;
  readonly batch: number;
  /** Self time by owner: the Raft core (packages/raft), this driver, V8 (GC, compiler) and the rest. */
  readonly sharePercent: { readonly core: number; readonly driver: number; readonly v8: number; readonly other: number };
  readonly hot: readonly Hot[];
}

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

/**
 * Profiles one run of a case with the V8 sampling profiler, in this
 * process, which must be fresh: the profiler is on from before the warm-up,
 * since code optimized without it is credited to its outermost function.
 */
async function profileHere(bytes: number, batch: number, top: number): Promise<Profiled> {
  const payloads = makePayloads(bytes);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  runOnce(CURRENT, batch, 32_768, payloads);
  await session.post('Profiler.stop');
  await session.post('Profiler.start');
  runOnce(CURRENT, batch, ENTRIES, payloads);
  const { profile: p } = await session.post('Profiler.stop');
  session.disconnect();
  const self = new Map<string, { fn: string; where: string; hits: number }>();
  const share = { core: 0, driver: 0, v8: 0, other: 0 };
  let total = 0;
  for (const node of p.nodes as ProfileNode[]) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    if (url.includes('/packages/raft/')) share.core += hits;
    else if (url.endsWith('/raft-core.js')) share.driver += hits;
    else if (url === '') share.v8 += hits;
    else share.other += hits;
    const fn = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${basename(url)}:${lineNumber + 1}`;
    const key = `${fn} ${where}`;
    const s = self.get(key) ?? { fn, where, hits: 0 };
    s.hits += hits;
    self.set(key, s);
  }
  const pct = (hits: number): number => (100 * hits) / total;
  return {
    commandBytes: bytes,
    batch,
    sharePercent: { core: pct(share.core), driver: pct(share.driver), v8: pct(share.v8), other: pct(share.other) },
    hot: [...self.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((s) => ({ fn: s.fn, where: s.where, selfPercent: pct(s.hits) })),
  };
}

/** Runs profileHere in a fresh child process of this script. */
async function profile(bytes: number, batch: number): Promise<Profiled> {
  const args = [fileURLToPath(import.meta.url), '--profile-child', '--bytes', String(bytes), '--batch', String(batch), '--entries', String(ENTRIES)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Profiled;
}

function f(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function rateLine(s: Stats): string {
  return `leader ${f(s.leaderMedian)} entries/s (${f(s.leaderMin)}-${f(s.leaderMax)}), all nodes ${f(s.allMedian)}, ${f(s.usPerEntry, 2)} µs/entry, ${f(s.messagesPerEntry, 2)} msgs/entry, ${f(s.entriesPerMsgApp, 1)} entries/MsgApp`;
}

async function main(): Promise<void> {
  const baseline = baselineDir === undefined ? undefined : await loadBaseline(baselineDir);
  const cases: Case[] = [];
  for (const bytes of COMMAND_BYTES) {
    for (const batch of BATCHES) {
      const c = runCase(bytes, batch, baseline);
      cases.push(c);
      console.error(`${bytes} B x${batch}: ${rateLine(c.current)}`);
      if (c.comparison !== undefined) console.error(`  interleaved with the baseline: before ${rateLine(c.comparison.before)}\n                                 after  ${rateLine(c.comparison.after)}`);
    }
  }
  const best = cases.filter((c) => c.commandBytes === 100).reduce((a, b) => (b.current.leaderMedian > a.current.leaderMedian ? b : a), cases[0] as Case);
  const profiled = await profile(best.commandBytes, best.batch);
  const smallestMeeting = cases.find((c) => c.commandBytes === 100 && c.current.leaderMedian >= TARGET);
  const target = { entriesPerSec: TARGET, commandBytes: 100, best: best.current.leaderMedian, batch: best.batch, met: best.current.leaderMedian >= TARGET, smallestBatchMeeting: smallestMeeting?.batch };
  const env = environment();
  const json = { environment: env, quick, seed: SEED, runs: RUNS, entries: ENTRIES, nodes: IDS.length, baseline: baselineDir === undefined ? undefined : { dir: baselineDir, name: baselineName }, cases, target, profile: profiled };

  const md = [
    `# Raft core: committed entries/s of a 3-node in-memory cluster${quick ? ' (quick run)' : ''}`,
    '',
    `Three RawNodes over MemoryStorage in one Node ${process.version} process (one thread does all three nodes' work; ${env.cores} cores, ${env.cpu}). No disk, no network, no serialization: a message goes from one node's Ready to the next node's step() as the same object. Each round the driver proposes \`batch\` commands to the leader (one propose() each), handles every node's Ready by the contract (persist to MemoryStorage, send, apply, advance) and delivers the messages sent; rounds pipeline. ${f(ENTRIES)} entries per run (${f(ENTRIES / 8)} with batch 1), ${RUNS} runs per case after a warm-up, seed ${SEED}. Rates are the median run's, with the slowest and fastest; "all nodes" is until the last follower applied the last entry. µs/entry is wall clock for the whole cluster.`,
    '',
    `Each propose() goes to each follower in a MsgApp of its own (as in etcd raft) while the follower's window of MsgApps in flight (maxInflightMsgs, default 256) has room; once it is full, later entries wait and go out together as acknowledgements free it. Each commit advance also sends every follower a MsgApp with no entries that carries the new commit index. So small batches cost about 8 messages per entry (a MsgApp and its response per follower for the entry, and again for its commit), and entries share MsgApps only past the window.`,
    '',
    table(
      ['command', 'batch', 'leader entries/s (median)', 'min-max', 'all nodes entries/s', 'µs/entry', 'messages/entry', 'entries/MsgApp'],
      cases.map((c) => [`${c.commandBytes} B`, String(c.batch), f(c.current.leaderMedian), `${f(c.current.leaderMin)}-${f(c.current.leaderMax)}`, f(c.current.allMedian), f(c.current.usPerEntry, 2), f(c.current.messagesPerEntry, 2), f(c.current.entriesPerMsgApp, 1)]),
    ),
    '',
    `**Target ≥ ${f(TARGET)} entries/s for 100-byte commands: ${target.met ? 'met' : 'not met'}** (${f(best.current.leaderMedian)} entries/s applied on the leader with batch ${best.batch}${smallestMeeting !== undefined && smallestMeeting !== best ? `; met from batch ${smallestMeeting.batch} on, ${f(smallestMeeting.current.leaderMedian)} entries/s` : ''}).`,
    '',
    ...(baseline === undefined
      ? []
      : [
          `## Before and after, interleaved in this run`,
          '',
          `Before: ${baselineName}. A second set of runs of each case, the baseline's alternating with the current build's, so both see the same machine; each run also pays for collecting the other's garbage, so compare these figures with each other, not with the table above.`,
          '',
          table(
            ['command', 'batch', 'before entries/s', 'after entries/s', 'speed-up', 'before µs/entry', 'after µs/entry', 'messages/entry before → after'],
            cases.map((c) => {
              const { before: b, after: a } = c.comparison as { before: Stats; after: Stats };
              return [`${c.commandBytes} B`, String(c.batch), f(b.leaderMedian), f(a.leaderMedian), `${f(a.leaderMedian / b.leaderMedian, 2)}×`, f(b.usPerEntry, 2), f(a.usPerEntry, 2), `${f(b.messagesPerEntry, 2)} → ${f(a.messagesPerEntry, 2)}`];
            }),
          ),
          '',
        ]),
    `## Where the time goes (${profiled.commandBytes} B, batch ${profiled.batch}, V8 sampling profiler, self time)`,
    '',
    `One run in a fresh process: ${f(profiled.sharePercent.core)}% in the Raft core (packages/raft, MemoryStorage included), ${f(profiled.sharePercent.driver)}% in this driver, ${f(profiled.sharePercent.v8)}% in V8 itself (garbage collection, compilation), ${f(profiled.sharePercent.other)}% elsewhere. The functions with the most self time:`,
    '',
    table(
      ['function', 'where (compiled dist/*.js line)', 'self %'],
      profiled.hot.map((h) => [`\`${h.fn}\``, h.where, f(h.selfPercent, 1)]),
    ),
    '',
  ].join('\n');
  const paths = writeResults(quick ? 'raft-core-quick' : 'raft-core', json, md, outDir);
  console.error(`wrote ${paths.md}`);
}

if (hasFlag('--profile-child')) process.stdout.write(JSON.stringify(await profileHere(COMMAND_BYTES[0] as number, BATCHES[0] as number, 15)));
else await main();
