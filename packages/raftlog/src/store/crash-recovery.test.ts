// The crash-recovery property (fast-check, on MemFileSystem). Random steps
// issue batches across three groups (appends that overwrite suffixes,
// truncations, resets, hard-state updates, compactions, puts and deletes; synced or
// not, several in flight at once), purge (a crash may land inside it),
// reopen cleanly, or crash: power
// loss (synced bytes plus a torn prefix of the rest) or a process crash
// (every byte the OS was given). Segments are 2 KiB, so rotation and purge
// run often. After every reopen the recovered state must equal the model
// after some prefix of the batches issued since the last check, no shorter
// than the last acknowledged synced batch (any acknowledged batch for a
// process crash). A prefix means every batch is all-or-nothing, each log is
// contiguous, and hard states never go back; since purged files are gone,
// matching the model also shows no purged file was needed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { LogBatch, type HardState } from '../format/log-batch.js';
import { RaftLogStore } from './raft-log-store.js';

const DIR = '/raft';
const GROUPS = [0, 1, 2] as const;
const KEYS = ['a', 'b', 'c'].map((k) => new TextEncoder().encode(k));
const OPTIONS = { targetSegmentSize: 2048, cacheBytes: 4096 };

interface GroupModel {
  first: number;
  /** entries[i] is index first + i: [term, data as hex]. */
  entries: [number, string][];
  hs: HardState | undefined;
  kv: Map<string, string>;
}

type Model = GroupModel[];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function emptyModel(): Model {
  return GROUPS.map(() => ({ first: 1, entries: [], hs: undefined, kv: new Map() }));
}

function cloneModel(m: Model): Model {
  return m.map((g) => ({ first: g.first, entries: [...g.entries], hs: g.hs, kv: new Map(g.kv) }));
}

function lastOf(g: GroupModel): number {
  return g.first + g.entries.length - 1;
}

/** Builds a random batch Raft could write given `m` (every batch issued so far), applying it to `m` as it goes. */
function randomBatch(rng: Rng, m: Model): LogBatch {
  const b = new LogBatch();
  const items = rng.range(1, 4);
  for (let n = 0; n < items; n++) {
    const id = rng.int(GROUPS.length);
    const g = m[id] as GroupModel;
    const last = lastOf(g);
    const op = rng.int(20);
    if (op < 10) {
      const start = g.entries.length === 0 ? g.first : rng.range(Math.max(g.first, last - 3), last + 2);
      const term = (g.hs?.term ?? 0) + 1;
      const count = rng.range(1, 5);
      const es = Array.from({ length: count }, (_, i) => {
        const data = rng.chance(0.05) ? new Uint8Array(5000).fill(rng.int(256)) : rng.bytes(rng.int(300));
        return { index: start + i, term, data };
      });
      b.append(id, es);
      g.entries.splice(start - g.first);
      for (const e of es) g.entries.push([e.term, hex(e.data)]);
    } else if (op < 12) {
      const from = rng.range(g.first, last + 2);
      b.truncate(id, from);
      if (from <= last) g.entries.splice(from - g.first);
    } else if (op < 14) {
      const to = rng.range(g.first, last + 3);
      b.compactTo(id, to);
      if (to > g.first) {
        g.entries.splice(0, Math.min(to - g.first, g.entries.length));
        g.first = to;
      }
    } else if (op < 15) {
      // Installing a snapshot: somewhere around the log, even below it.
      const to = rng.range(Math.max(1, g.first - 2), last + 4);
      b.reset(id, to);
      g.entries = [];
      g.first = to;
    } else if (op < 18) {
      const old = g.hs ?? { term: 0, vote: 0, commit: 0 };
      const term = old.term + rng.int(2);
      const vote = term === old.term && old.vote !== 0 ? old.vote : rng.int(4);
      const hs = { term, vote, commit: rng.int(50) };
      b.setHardState(id, hs);
      g.hs = hs;
    } else {
      const key = KEYS[rng.int(KEYS.length)] as Uint8Array;
      if (rng.chance(0.7)) {
        const value = rng.bytes(rng.range(1, 20));
        b.put(id, key, value);
        g.kv.set(hex(key), hex(value));
      } else {
        b.delete(id, key);
        g.kv.delete(hex(key));
      }
    }
  }
  return b;
}

function dumpModel(m: Model): string {
  return JSON.stringify(m.map((g) => ({ first: g.first, last: lastOf(g), entries: g.entries, hs: g.hs ?? null, kv: [...g.kv].sort() })));
}

function dumpStore(s: RaftLogStore): string {
  return JSON.stringify(
    GROUPS.map((id) => {
      const first = s.firstIndex(id);
      const last = s.lastIndex(id);
      const entries = s.entries(id, first, last + 1).map((e, i): [number, string] => {
        assert.equal(e.index, first + i, 'entries come back contiguous');
        return [e.term, hex(e.data)];
      });
      const kv: [string, string][] = [];
      for (const k of KEYS) {
        const v = s.get(id, k);
        if (v !== undefined) kv.push([hex(k), hex(v)]);
      }
      return { first, last, entries, hs: s.hardState(id) ?? null, kv: kv.sort() };
    }),
  );
}

type Step =
  | { readonly kind: 'writes'; readonly seed: number; readonly count: number; readonly syncs: readonly boolean[]; readonly settle: 'all' | 'none' | number }
  | { readonly kind: 'compact-and-purge'; readonly seed: number; readonly settle: 'all' | number }
  | { readonly kind: 'crash'; readonly crash: 'power' | 'process'; readonly seed: number }
  | { readonly kind: 'reopen' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('writes' as const),
      seed: fc.nat(),
      count: fc.integer({ min: 1, max: 4 }),
      syncs: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      settle: fc.oneof(fc.constant('all' as const), fc.constant('none' as const), fc.integer({ min: 1, max: 3 })),
    }),
  },
  // A purge left running for a few macrotasks lets the next crash land inside it.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact-and-purge' as const), seed: fc.nat(), settle: fc.oneof(fc.constant('all' as const), fc.integer({ min: 0, max: 6 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), crash: fc.constantFrom('power' as const, 'process' as const), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'reopen' }) },
);

interface Issued {
  readonly sync: boolean;
  /** The model after this batch and every one before it. */
  readonly after: Model;
  resolved: boolean;
  readonly done: Promise<void>;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runSteps(steps: readonly Step[]): Promise<void> {
  let fs = new MemFileSystem();
  let store = await RaftLogStore.open(DIR, { fs, ...OPTIONS });
  /** The state every check so far agreed on. */
  let verified = emptyModel();
  /** verified plus every batch issued since (what new batches are built against). */
  let head = emptyModel();
  let issued: Issued[] = [];
  const issue = (b: LogBatch, sync: boolean): Promise<void> => {
    const entry: Issued = {
      sync,
      after: cloneModel(head),
      resolved: false,
      done: store.write(b, { sync }).then(() => {
        entry.resolved = true;
      }),
    };
    issued.push(entry);
    return entry.done;
  };
  try {
    for (const [i, step] of steps.entries()) {
      switch (step.kind) {
        case 'writes': {
          const rng = new Rng(step.seed);
          const started: Promise<void>[] = [];
          for (let k = 0; k < step.count; k++) started.push(issue(randomBatch(rng, head), step.syncs[k] ?? false));
          if (step.settle === 'all') await Promise.all(started);
          else if (typeof step.settle === 'number') for (let k = 0; k < step.settle; k++) await macrotask();
          break;
        }
        case 'compact-and-purge': {
          // Compact every group to somewhere in its log, then purge.
          const rng = new Rng(step.seed);
          const b = new LogBatch();
          for (const id of GROUPS) {
            const g = head[id] as GroupModel;
            const to = rng.range(g.first, lastOf(g) + 2);
            b.compactTo(id, to);
            if (to > g.first) {
              g.entries.splice(0, Math.min(to - g.first, g.entries.length));
              g.first = to;
            }
          }
          await issue(b, rng.chance(0.5));
          const purging = store.purge();
          if (step.settle === 'all') await purging;
          else {
            purging.catch(() => undefined);
            for (let k = 0; k < step.settle; k++) await macrotask();
          }
          break;
        }
        case 'reopen': {
          await Promise.all(issued.map((w) => w.done));
          await store.close();
          store = await RaftLogStore.open(DIR, { fs, ...OPTIONS });
          assert.equal(dumpStore(store), dumpModel(head), `step ${i}: a clean reopen lost or changed data`);
          verified = cloneModel(head);
          issued = [];
          break;
        }
        case 'crash': {
          let mustKeep = 0;
          issued.forEach((w, k) => {
            if (w.resolved && (step.crash === 'process' || w.sync)) mustKeep = k + 1;
          });
          const clone = fs.crashClone({ seed: step.seed, kind: step.crash });
          for (const w of issued) w.done.catch(() => undefined);
          fs = clone;
          store = await RaftLogStore.open(DIR, { fs, ...OPTIONS });
          const state = dumpStore(store);
          const candidates = [verified, ...issued.map((w) => w.after)];
          let matched = -1;
          for (let p = mustKeep; p < candidates.length; p++) {
            if (dumpModel(candidates[p] as Model) === state) {
              matched = p;
              break;
            }
          }
          assert.ok(matched >= 0, `step ${i} (${step.crash} crash): recovered state is no prefix of at least ${mustKeep} of the ${issued.length} batches issued\n${state}`);
          verified = cloneModel(candidates[matched] as Model);
          head = cloneModel(verified);
          issued = [];
          break;
        }
      }
    }
    await Promise.all(issued.map((w) => w.done));
    assert.equal(dumpStore(store), dumpModel(head), 'the end state matches the model');
  } finally {
    await store.close().catch(() => undefined);
  }
}

describe('raft log crash recovery', () => {
  it('every acknowledged synced batch survives power loss and process crashes, batches are all-or-nothing, hard states never go back (fast-check)', async () => {
    const seed = testSeed('raftlog crash recovery');
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 24 }), (steps) => runSteps(steps)),
      { numRuns: 80, seed },
    );
  });
});
