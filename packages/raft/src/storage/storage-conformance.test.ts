// The same Storage scenarios over MemoryStorage and RaftLogStorage (on a
// MemFileSystem): one table of cases run against both factories, then a
// seeded differential run that applies the same random mutators to both and
// compares every read, errors included, reopening the RaftLogStorage from
// its store (or from a power-loss clone of its disk) as it goes. The cases
// follow etcd raft's storage_test.go.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '@strata/engine';
import { RaftLogStore } from '@strata/raftlog';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { Compacted, isRaftError, Unavailable } from '../errors.js';
import { EMPTY_CONF_STATE, EntryType, type ConfState, type Entry, type HardState, type Snapshot } from '../types.js';
import { MemoryStorage } from './memory-storage.js';
import { RaftLogStorage } from './raftlog-storage.js';
import type { Storage } from './storage.js';

/** A storage under test with its mutators made async (MemoryStorage's throws become rejections). */
interface Subject {
  readonly storage: Storage;
  append(es: readonly Entry[]): Promise<void>;
  setHardState(hs: HardState): Promise<void>;
  applySnapshot(s: Snapshot): Promise<void>;
  createSnapshot(i: number, cs: ConfState, data: Uint8Array): Promise<Snapshot>;
  compact(i: number): Promise<void>;
  /** The same state as a node restarting would find it (MemoryStorage: itself). */
  reopen(): Promise<Subject>;
  /** The same after a power loss (every mutator here is synced, so nothing may be lost). */
  crash(seed: number): Promise<Subject>;
  close(): Promise<void>;
}

interface Factory {
  readonly name: string;
  make(): Promise<Subject>;
}

function memorySubject(m: MemoryStorage): Subject {
  return {
    storage: m,
    append: async (es) => m.append(es),
    setHardState: async (hs) => m.setHardState(hs),
    applySnapshot: async (s) => m.applySnapshot(s),
    createSnapshot: async (i, cs, data) => m.createSnapshot(i, cs, data),
    compact: async (i) => m.compact(i),
    reopen: async () => memorySubject(m),
    crash: async () => memorySubject(m),
    close: async () => undefined,
  };
}

const DIR = '/raft';
const GROUP = 7;

async function raftLogSubject(fs: MemFileSystem): Promise<Subject> {
  const store = await RaftLogStore.open(DIR, { fs, targetSegmentSize: 4096, cacheBytes: 2048 });
  const s = await RaftLogStorage.open(store, GROUP);
  return {
    storage: s,
    append: (es) => s.append(es, { sync: true }),
    setHardState: (hs) => s.setHardState(hs, { sync: true }),
    applySnapshot: (snap) => s.applySnapshot(snap, { sync: true }),
    createSnapshot: (i, cs, data) => s.createSnapshot(i, cs, data, { sync: true }),
    compact: (i) => s.compact(i, { sync: true }),
    reopen: async () => {
      await store.close();
      return raftLogSubject(fs);
    },
    // The store left behind is never closed: its process is gone.
    crash: (seed) => raftLogSubject(fs.crashClone({ seed, kind: 'power' })),
    close: () => store.close(),
  };
}

const FACTORIES: readonly Factory[] = [
  { name: 'MemoryStorage', make: async () => memorySubject(new MemoryStorage()) },
  { name: 'RaftLogStorage', make: () => raftLogSubject(new MemFileSystem()) },
];

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function ent(index: number, term: number, data = `e${index}`, type = EntryType.Normal): Entry {
  return { index, term, type, data: enc(data) };
}

function view(es: readonly Entry[]): string[] {
  return es.map((e) => `${e.index}/${e.term}/${e.type}/${hex(e.data)}`);
}

const compacted = (index: number, firstIndex: number) => (e: unknown): boolean => e instanceof Compacted && e.index === index && e.firstIndex === firstIndex;
const unavailable = (index: number, lastIndex: number) => (e: unknown): boolean => e instanceof Unavailable && e.index === index && e.lastIndex === lastIndex;
const invalid = (e: unknown): boolean => isEngineError(e, 'InvalidArgument');

const CS: ConfState = { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false };

/** etcd's fixture: the log [3 (dummy, term 3), 4 (term 4), 5 (term 5)], as a snapshot at 3 and two entries. */
async function threeFourFive(s: Subject): Promise<void> {
  await s.applySnapshot({ meta: { index: 3, term: 3, confState: CS }, data: enc('snap3') });
  await s.append([ent(4, 4), ent(5, 5)]);
}

interface Case {
  readonly name: string;
  /** Returns the subject it ends with, if it reopened it. */
  run(s: Subject): Promise<Subject | void>;
}

const CASES: readonly Case[] = [
  {
    name: 'a new storage is empty: first index 1, last 0, term(0) = 0, an empty snapshot and initial state',
    async run(s) {
      const st = s.storage;
      assert.equal(st.firstIndex(), 1);
      assert.equal(st.lastIndex(), 0);
      assert.equal(st.term(0), 0);
      assert.throws(() => st.term(1), unavailable(1, 0));
      assert.deepEqual(st.entries(1, 1, 100), []);
      assert.throws(() => st.entries(0, 1, 100), compacted(0, 1));
      assert.throws(() => st.entries(1, 2, 100), unavailable(1, 0));
      assert.deepEqual(st.initialState(), { hardState: { term: 0, vote: 0, commit: 0 }, confState: EMPTY_CONF_STATE });
      const snap = st.snapshot();
      assert.deepEqual(snap.meta, { index: 0, term: 0, confState: EMPTY_CONF_STATE });
      assert.equal(snap.data.length, 0);
    },
  },
  {
    name: 'term answers from firstIndex − 1 to lastIndex: Compacted below, Unavailable above',
    async run(s) {
      await threeFourFive(s);
      const st = s.storage;
      assert.throws(() => st.term(2), compacted(2, 4));
      assert.equal(st.term(3), 3, 'the snapshot point answers for itself');
      assert.equal(st.term(4), 4);
      assert.equal(st.term(5), 5);
      assert.throws(() => st.term(6), unavailable(6, 5));
    },
  },
  {
    name: 'entries: Compacted at or below the compaction point, Unavailable past lastIndex, InvalidArgument for lo > hi',
    async run(s) {
      await threeFourFive(s);
      await s.append([ent(6, 6)]);
      const st = s.storage;
      assert.throws(() => st.entries(2, 6, Infinity), compacted(2, 4));
      assert.throws(() => st.entries(3, 4, Infinity), compacted(3, 4));
      assert.deepEqual(view(st.entries(4, 5, Infinity)), view([ent(4, 4)]));
      assert.deepEqual(view(st.entries(4, 7, Infinity)), view([ent(4, 4), ent(5, 5), ent(6, 6)]));
      assert.deepEqual(st.entries(5, 5, Infinity), []);
      assert.throws(() => st.entries(4, 8, Infinity), unavailable(7, 6));
      assert.throws(() => st.entries(6, 5, Infinity), invalid);
    },
  },
  {
    name: 'entries stop before the entry that would pass maxBytes, but always return the first',
    async run(s) {
      await threeFourFive(s);
      await s.append([ent(6, 6)]);
      const st = s.storage;
      const size = 2; // "e4", "e5", "e6"
      const all = view([ent(4, 4), ent(5, 5), ent(6, 6)]);
      assert.deepEqual(view(st.entries(4, 7, Number.MAX_SAFE_INTEGER)), all);
      assert.deepEqual(view(st.entries(4, 7, 0)), all.slice(0, 1));
      assert.deepEqual(view(st.entries(4, 7, -1)), all.slice(0, 1));
      assert.deepEqual(view(st.entries(4, 7, 2 * size)), all.slice(0, 2));
      assert.deepEqual(view(st.entries(4, 7, 2 * size + 1)), all.slice(0, 2));
      assert.deepEqual(view(st.entries(4, 7, 2 * size + 1.5)), all.slice(0, 2));
      assert.deepEqual(view(st.entries(4, 7, 3 * size - 1)), all.slice(0, 2));
      assert.deepEqual(view(st.entries(4, 7, 3 * size)), all);
      assert.deepEqual(view(st.entries(4, 7, NaN)), all);
    },
  },
  {
    name: 'empty entries all fit a limit of 0, but a negative limit still stops after the first',
    async run(s) {
      await s.append([ent(1, 1, ''), ent(2, 1, ''), ent(3, 1, '')]);
      assert.equal(s.storage.entries(1, 4, 0).length, 3);
      assert.equal(s.storage.entries(1, 4, -5).length, 1);
    },
  },
  {
    name: 'entries come back with their types',
    async run(s) {
      const es = [ent(1, 1, 'cc1', EntryType.ConfChange), ent(2, 1), ent(3, 2, 'cc3', EntryType.ConfChange), ent(4, 2), ent(5, 2, 'cc5', EntryType.ConfChange)];
      await s.append(es);
      assert.deepEqual(view(s.storage.entries(1, 6, Infinity)), view(es));
      assert.deepEqual(view(s.storage.entries(2, 5, Infinity)), view(es.slice(1, 4)));
      s = await s.reopen();
      assert.deepEqual(view(s.storage.entries(1, 6, Infinity)), view(es));
      return s;
    },
  },
  {
    name: 'append: the same entries change nothing; a conflicting suffix is replaced; compacted entries are skipped; a gap is refused',
    async run(s) {
      const cases: { readonly append: Entry[]; readonly want: Entry[] | 'gap' }[] = [
        { append: [ent(4, 4), ent(5, 5)], want: [ent(4, 4), ent(5, 5)] },
        { append: [ent(4, 6), ent(5, 6)], want: [ent(4, 6), ent(5, 6)] },
        { append: [ent(4, 4), ent(5, 5), ent(6, 5)], want: [ent(4, 4), ent(5, 5), ent(6, 5)] },
        // Entries at or below the compaction point are skipped.
        { append: [ent(2, 3), ent(3, 3), ent(4, 5)], want: [ent(4, 5)] },
        { append: [ent(2, 3), ent(3, 3)], want: [ent(4, 4), ent(5, 5)] },
        { append: [ent(5, 6, 'x')], want: [ent(4, 4), ent(5, 6, 'x')] },
        { append: [ent(6, 5)], want: [ent(4, 4), ent(5, 5), ent(6, 5)] },
        { append: [ent(7, 5)], want: 'gap' },
        { append: [], want: [ent(4, 4), ent(5, 5)] },
      ];
      for (const [k, c] of cases.entries()) {
        await threeFourFive(s);
        if (c.want === 'gap') {
          await assert.rejects(s.append(c.append), invalid, `case ${k}`);
          continue;
        }
        await s.append(c.append);
        const last = c.want[c.want.length - 1] as Entry;
        assert.equal(s.storage.lastIndex(), last.index, `case ${k}`);
        assert.deepEqual(view(s.storage.entries(4, last.index + 1, Infinity)), view(c.want), `case ${k}`);
      }
    },
  },
  {
    name: 'a replaced suffix takes its entry types with it',
    async run(s) {
      await s.append([ent(1, 1), ent(2, 1, 'cc', EntryType.ConfChange), ent(3, 1, 'cc', EntryType.ConfChange)]);
      await s.append([ent(3, 2, 'n')]);
      assert.deepEqual(view(s.storage.entries(1, 4, Infinity)), view([ent(1, 1), ent(2, 1, 'cc', EntryType.ConfChange), ent(3, 2, 'n')]));
      await s.append([ent(2, 3, 'n2'), ent(3, 3, 'cc', EntryType.ConfChange)]);
      s = await s.reopen();
      assert.deepEqual(view(s.storage.entries(1, 4, Infinity)), view([ent(1, 1), ent(2, 3, 'n2'), ent(3, 3, 'cc', EntryType.ConfChange)]));
      return s;
    },
  },
  {
    name: 'compact drops the entries up to its index and keeps that index\'s term; at or below the point is Compacted, past the end Unavailable',
    async run(s) {
      await threeFourFive(s);
      await assert.rejects(s.compact(2), compacted(2, 4));
      await assert.rejects(s.compact(3), compacted(3, 4));
      await assert.rejects(s.compact(6), unavailable(6, 5));
      await s.compact(4);
      assert.equal(s.storage.firstIndex(), 5);
      assert.equal(s.storage.term(4), 4);
      assert.throws(() => s.storage.entries(4, 6, Infinity), compacted(4, 5));
      await s.compact(5);
      assert.equal(s.storage.firstIndex(), 6);
      assert.equal(s.storage.lastIndex(), 5);
      assert.equal(s.storage.term(5), 5);
      assert.deepEqual(s.storage.entries(6, 6, Infinity), []);
      s = await s.reopen();
      assert.equal(s.storage.firstIndex(), 6);
      assert.equal(s.storage.term(5), 5);
      await s.append([ent(6, 6)]);
      assert.deepEqual(view(s.storage.entries(6, 7, Infinity)), view([ent(6, 6)]));
      return s;
    },
  },
  {
    name: 'compaction keeps the types of the entries after it',
    async run(s) {
      await s.append([ent(1, 1, 'a', EntryType.ConfChange), ent(2, 1), ent(3, 1, 'c', EntryType.ConfChange), ent(4, 1)]);
      await s.compact(2);
      s = await s.reopen();
      assert.deepEqual(view(s.storage.entries(3, 5, Infinity)), view([ent(3, 1, 'c', EntryType.ConfChange), ent(4, 1)]));
      return s;
    },
  },
  {
    name: 'createSnapshot records a snapshot of a held index without compacting; one not newer is InvalidArgument, one past the end Unavailable',
    async run(s) {
      await threeFourFive(s);
      const cs: ConfState = { voters: [1, 2], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [3], autoLeave: true };
      const snap = await s.createSnapshot(4, cs, enc('state at 4'));
      assert.deepEqual(snap.meta, { index: 4, term: 4, confState: cs });
      await assert.rejects(s.createSnapshot(4, cs, enc('again')), invalid);
      await assert.rejects(s.createSnapshot(3, cs, enc('older')), invalid);
      await assert.rejects(s.createSnapshot(6, cs, enc('future')), unavailable(6, 5));
      s = await s.reopen();
      const st = s.storage;
      assert.equal(st.firstIndex(), 4, 'the log is not compacted');
      assert.deepEqual(st.snapshot().meta, { index: 4, term: 4, confState: cs });
      assert.deepEqual(st.snapshot().data, enc('state at 4'));
      assert.deepEqual(st.initialState().confState, cs);
      return s;
    },
  },
  {
    name: 'applySnapshot replaces the whole log; the same index again is taken, an older one refused',
    async run(s) {
      await threeFourFive(s);
      const cs: ConfState = { voters: [5], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
      await s.applySnapshot({ meta: { index: 8, term: 7, confState: cs }, data: enc('eight') });
      const st = s.storage;
      assert.equal(st.firstIndex(), 9);
      assert.equal(st.lastIndex(), 8);
      assert.equal(st.term(8), 7);
      assert.throws(() => st.term(5), compacted(5, 9));
      assert.throws(() => st.entries(8, 9, Infinity), compacted(8, 9));
      await assert.rejects(s.applySnapshot({ meta: { index: 7, term: 7, confState: cs }, data: enc('seven') }), invalid);
      await s.applySnapshot({ meta: { index: 8, term: 7, confState: cs }, data: enc('eight again') });
      s = await s.reopen();
      assert.deepEqual(s.storage.snapshot().meta, { index: 8, term: 7, confState: cs });
      assert.deepEqual(s.storage.snapshot().data, enc('eight again'));
      assert.deepEqual(s.storage.initialState().confState, cs);
      await s.append([ent(9, 7), ent(10, 8, 'cc', EntryType.ConfChange)]);
      assert.deepEqual(view(s.storage.entries(9, 11, Infinity)), view([ent(9, 7), ent(10, 8, 'cc', EntryType.ConfChange)]));
      return s;
    },
  },
  {
    name: 'a snapshot below the log installs too: the log is dropped',
    async run(s) {
      await s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
      await s.applySnapshot({ meta: { index: 1, term: 1, confState: CS }, data: enc('one') });
      assert.equal(s.storage.firstIndex(), 2);
      assert.equal(s.storage.lastIndex(), 1);
    },
  },
  {
    name: 'the hard state comes back in initialState',
    async run(s) {
      await s.append([ent(1, 1), ent(2, 2)]);
      await s.setHardState({ term: 2, vote: 3, commit: 1 });
      await s.setHardState({ term: 2, vote: 3, commit: 2 });
      s = await s.reopen();
      assert.deepEqual(s.storage.initialState().hardState, { term: 2, vote: 3, commit: 2 });
      return s;
    },
  },
];

for (const f of FACTORIES) {
  describe(`storage conformance: ${f.name}`, () => {
    for (const c of CASES) {
      it(c.name, async () => {
        let s = await f.make();
        try {
          const reopened = await c.run(s);
          if (reopened !== undefined) s = reopened;
        } finally {
          await s.close();
        }
      });
    }
  });
}

// ------------------------------------------------------------------ differential

/** What a call answered (`show` renders a result), errors included, as one comparable string. */
function outcome<T>(f: () => T, show: (v: T) => string = (v) => JSON.stringify(v)): string {
  try {
    return `ok ${show(f())}`;
  } catch (err) {
    if (err instanceof Compacted) return `Compacted ${err.index} ${err.firstIndex}`;
    if (err instanceof Unavailable) return `Unavailable ${err.index} ${err.lastIndex}`;
    if (isRaftError(err) || isEngineError(err)) return err.code;
    throw err;
  }
}

async function settled(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (err: unknown) =>
      outcome(() => {
        throw err;
      }),
  );
}

/** Every term around the log, the snapshot, the initial state and a few random entries() calls, as one string. */
function observe(st: Storage, rng: Rng): string {
  const first = st.firstIndex();
  const last = st.lastIndex();
  const out = [`first ${first} last ${last}`, outcome(() => st.initialState()), outcome(() => st.snapshot(), (snap) => `${JSON.stringify(snap.meta)} ${hex(snap.data)}`)];
  for (let i = Math.max(0, first - 2); i <= last + 1; i++) out.push(`term ${i}: ${outcome(() => st.term(i))}`);
  for (let n = 0; n < 6; n++) {
    const lo = rng.range(Math.max(0, first - 2), last + 2);
    const hi = rng.range(lo - 1, last + 3);
    const maxBytes = rng.chance(0.2) ? Number.MAX_SAFE_INTEGER : rng.int(40) - 1;
    out.push(`entries ${lo} ${hi} ${maxBytes}: ${outcome(() => st.entries(lo, hi, maxBytes), (es) => view(es).join(' '))}`);
  }
  return out.join('\n');
}

describe('storage conformance: MemoryStorage and RaftLogStorage agree', () => {
  it('the same random mutators leave both answering every read alike, across reopens and power losses (seeded)', async () => {
    const seed = testSeed('storage conformance differential');
    const rng = new Rng(seed);
    const memory = memorySubject(new MemoryStorage());
    let durable = await raftLogSubject(new MemFileSystem());
    const log: string[] = [];
    let hs: HardState = { term: 0, vote: 0, commit: 0 };
    try {
      for (let step = 0; step < 400; step++) {
        const st = memory.storage;
        const first = st.firstIndex();
        const last = st.lastIndex();
        const op = rng.int(20);
        let desc: string;
        let run: (s: Subject) => Promise<unknown>;
        if (op < 9) {
          const start = rng.range(Math.max(1, first - 2), last + (rng.chance(0.05) ? 3 : 2));
          let term = start - 1 >= first - 1 && start - 1 <= last ? st.term(start - 1) : 1;
          term += rng.int(2);
          const es: Entry[] = [];
          for (let k = 0, n = rng.range(1, 6); k < n; k++) {
            term += rng.chance(0.2) ? 1 : 0;
            const type = rng.chance(0.2) ? EntryType.ConfChange : EntryType.Normal;
            es.push({ index: start + k, term, type, data: rng.bytes(rng.int(12)) });
          }
          desc = `append ${start}..${start + es.length - 1}`;
          run = (s) => s.append(es);
        } else if (op < 11) {
          const i = rng.range(Math.max(0, first - 2), last + 2);
          desc = `compact ${i}`;
          run = (s) => s.compact(i);
        } else if (op < 13) {
          const lo = Math.max(0, st.snapshot().meta.index - 1);
          const i = rng.range(lo, Math.max(lo + 1, last + 2));
          const cs: ConfState = { voters: [1 + rng.int(3)], learners: rng.chance(0.5) ? [9] : [], votersOutgoing: [], learnersNext: [], autoLeave: rng.chance(0.5) };
          const data = rng.bytes(rng.int(30));
          desc = `createSnapshot ${i}`;
          run = (s) => s.createSnapshot(i, cs, data);
        } else if (op < 14) {
          const lo = Math.max(0, st.snapshot().meta.index - 1);
          const index = rng.range(lo, Math.max(lo + 1, last + 4));
          const snap: Snapshot = { meta: { index, term: hs.term + rng.int(3), confState: CS }, data: rng.bytes(rng.int(30)) };
          desc = `applySnapshot ${index}`;
          run = (s) => s.applySnapshot(snap);
        } else if (op < 17) {
          const term = hs.term + rng.int(2);
          const vote = term === hs.term && hs.vote !== 0 ? hs.vote : rng.int(4);
          hs = { term, vote, commit: rng.int(last + 1) };
          const next = hs;
          desc = `setHardState ${JSON.stringify(next)}`;
          run = (s) => s.setHardState(next);
        } else if (op < 18) {
          const crash = rng.chance(0.5);
          const crashSeed = rng.int(2 ** 31);
          desc = crash ? `power loss (crash seed ${crashSeed})` : 'reopen';
          durable = crash ? await durable.crash(crashSeed) : await durable.reopen();
          run = async () => undefined;
        } else {
          desc = 'read';
          run = async () => undefined;
        }
        log.push(`${step}: ${desc}`);
        const [a, b] = [await settled(run(memory)), await settled(run(durable))];
        assert.equal(b, a, `step ${step} (${desc}) answered differently`);
        const readSeed = rng.int(2 ** 31);
        assert.equal(observe(durable.storage, new Rng(readSeed)), observe(memory.storage, new Rng(readSeed)), `step ${step} (${desc}): reads differ`);
      }
    } catch (err) {
      console.log(`# ops (seed ${seed}):\n${log.slice(-30).join('\n')}`);
      throw err;
    } finally {
      await durable.close();
    }
  });
});
