// RaftLogStorage over a RaftLogStore on a MemFileSystem: what a restart
// reads back, one write per Ready, power loss after a synced write and in
// the middle of an unsynced one, groups sharing a store, the records checked
// against the format doc's example, corrupt records refused as Corruption,
// bad input refused whole, mutators in call order, and a failed write.
// Scenarios shared with MemoryStorage are in storage-conformance.test.ts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Corruption, isEngineError, IoError } from '@strata/engine';
import { LogBatch, RaftLogStore } from '@strata/raftlog';
import { FaultFileSystem, MemFileSystem, type FileSystem } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { Compacted, Unavailable } from '../errors.js';
import { EntryType, type ConfState, type Entry } from '../types.js';
import { KEY_COMPACTED, KEY_ENTRY_TYPES, KEY_SNAPSHOT_DATA, KEY_SNAPSHOT_META } from './format.js';
import { RaftLogStorage } from './raftlog-storage.js';

const DIR = '/raft';
const G = 5;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function ent(index: number, term: number, type = EntryType.Normal, data = `e${index}t${term}`): Entry {
  return { index, term, type, data: enc(data) };
}

function openStore(fs: FileSystem): Promise<RaftLogStore> {
  return RaftLogStore.open(DIR, { fs, targetSegmentSize: 4096 });
}

async function openBoth(fs: FileSystem, group = G): Promise<{ store: RaftLogStore; st: RaftLogStorage }> {
  const store = await openStore(fs);
  return { store, st: await RaftLogStorage.open(store, group) };
}

/** Everything a restarting node reads, as one string. */
function dump(st: RaftLogStorage): string {
  const first = st.firstIndex();
  const last = st.lastIndex();
  const snap = st.snapshot();
  return JSON.stringify({
    first,
    last,
    point: st.term(first - 1),
    entries: st.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map((e) => [e.index, e.term, e.type, hex(e.data)]),
    initial: st.initialState(),
    snapshot: [snap.meta, hex(snap.data)],
  });
}

const CS: ConfState = { voters: [1, 2, 3], learners: [7], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: true };

describe('RaftLogStorage', () => {
  it('a restart reads back the hard state, the snapshot with its ConfState, the compaction point and entries with their types', async () => {
    const fs = new MemFileSystem();
    let { store, st } = await openBoth(fs);
    await st.persist({ snapshot: { meta: { index: 5, term: 2, confState: CS }, data: enc('state@5') }, entries: [ent(6, 2), ent(7, 3, EntryType.ConfChange), ent(8, 3), ent(9, 3, EntryType.ConfChange), ent(10, 4)], hardState: { term: 4, vote: 2, commit: 9 } }, { sync: true });
    await st.compact(7, { sync: true });
    const before = dump(st);
    assert.equal(st.firstIndex(), 8);
    assert.equal(st.term(7), 3);
    await store.close();
    ({ store, st } = await openBoth(fs));
    assert.equal(dump(st), before);
    assert.deepEqual(st.initialState(), { hardState: { term: 4, vote: 2, commit: 9 }, confState: CS });
    assert.deepEqual(st.snapshot().meta, { index: 5, term: 2, confState: CS });
    assert.deepEqual(st.snapshot().data, enc('state@5'));
    assert.deepEqual(
      st.entries(8, 11, Infinity).map((e) => [e.index, e.type]),
      [
        [8, EntryType.Normal],
        [9, EntryType.ConfChange],
        [10, EntryType.Normal],
      ],
    );
    await store.close();
  });

  it('groups sharing one store keep their own logs, hard states and snapshots, and leave other keys alone', async () => {
    const fs = new MemFileSystem();
    let store = await openStore(fs);
    const a = await RaftLogStorage.open(store, 1);
    const b = await RaftLogStorage.open(store, 2);
    await store.write(new LogBatch().put(1, enc('app/applied'), enc('42')));
    await a.append([ent(1, 1, EntryType.ConfChange), ent(2, 1)], { sync: true });
    await b.applySnapshot({ meta: { index: 10, term: 3, confState: CS }, data: enc('b') }, { sync: true });
    await b.append([ent(11, 3), ent(12, 3, EntryType.ConfChange)], { sync: true });
    await a.setHardState({ term: 1, vote: 1, commit: 2 }, { sync: true });
    await a.compact(1, { sync: true });
    const [da, db] = [dump(a), dump(b)];
    await store.close();
    store = await openStore(fs);
    assert.equal(dump(await RaftLogStorage.open(store, 1)), da);
    assert.equal(dump(await RaftLogStorage.open(store, 2)), db);
    assert.equal((await RaftLogStorage.open(store, 3)).lastIndex(), 0, 'a group never written is empty');
    assert.deepEqual(store.get(1, enc('app/applied')), enc('42'));
    await store.close();
  });

  it('a Ready (snapshot, entries, hard state) is one batch and one write, with one fsync when synced', async () => {
    const { store, st } = await openBoth(new MemFileSystem());
    const before = store.stats();
    await st.persist({ snapshot: { meta: { index: 3, term: 1, confState: CS }, data: enc('s') }, entries: [ent(4, 1), ent(5, 2, EntryType.ConfChange)], hardState: { term: 2, vote: 1, commit: 4 } }, { sync: true });
    const after = store.stats();
    assert.equal(after.batches - before.batches, 1);
    assert.equal(after.fsyncs - before.fsyncs, 1);
    await st.persist({ entries: [ent(6, 2)] });
    assert.equal(store.stats().fsyncs, after.fsyncs, 'an unsynced persist does not sync');
    await store.close();
  });

  it('after a synced persist, a power-loss clone of the disk reopens with all of it', async () => {
    const seed = testSeed('raftlog storage synced persist survives power loss');
    const fs = new MemFileSystem();
    const { st } = await openBoth(fs);
    await st.persist({ entries: [ent(1, 1, EntryType.ConfChange), ent(2, 1)], hardState: { term: 1, vote: 0, commit: 2 } }, { sync: true });
    await st.persist({ snapshot: { meta: { index: 6, term: 2, confState: CS }, data: enc('six') }, entries: [ent(7, 3), ent(8, 3, EntryType.ConfChange)], hardState: { term: 3, vote: 2, commit: 7 } }, { sync: true });
    const want = dump(st);
    for (let k = 0; k < 10; k++) {
      for (const unsynced of ['prefix', 'reorder', 'none'] as const) {
        const crashSeed = (seed + k) >>> 0;
        const clone = fs.crashClone({ seed: crashSeed, kind: 'power', unsynced });
        const again = await openBoth(clone);
        assert.equal(dump(again.st), want, `crash seed ${crashSeed}, unsynced ${unsynced}`);
        await again.store.close();
      }
    }
  });

  it('an unsynced persist is all or nothing after a power loss', async () => {
    const seed = testSeed('raftlog storage unsynced persist is atomic');
    const fs = new MemFileSystem();
    const { st } = await openBoth(fs);
    await st.persist({ entries: [ent(1, 1), ent(2, 1, EntryType.ConfChange), ent(3, 1)], hardState: { term: 1, vote: 1, commit: 1 } }, { sync: true });
    const base = dump(st);
    await st.persist({ snapshot: { meta: { index: 4, term: 2, confState: CS }, data: enc('x'.repeat(300)) }, entries: [ent(5, 2, EntryType.ConfChange), ent(6, 3, EntryType.Normal, 'y'.repeat(500))], hardState: { term: 3, vote: 2, commit: 5 } });
    const full = dump(st);
    const seen = new Set<string>();
    for (let k = 0; k < 60; k++) {
      const crashSeed = (seed + k) >>> 0;
      const clone = fs.crashClone({ seed: crashSeed, kind: 'power', unsynced: k % 2 === 0 ? 'prefix' : 'reorder' });
      const again = await openBoth(clone);
      const got = dump(again.st);
      assert.ok(got === base || got === full, `crash seed ${crashSeed}: a torn Ready came back\n${got}`);
      seen.add(got === base ? 'none' : 'all');
      await again.store.close();
    }
    assert.equal(seen.size, 2, 'the crashes kept the Ready sometimes and lost it sometimes');
  });

  it('an append at or before lastIndex replaces the conflicting suffix in the store, types included', async () => {
    const fs = new MemFileSystem();
    let { store, st } = await openBoth(fs);
    await st.append([ent(1, 1), ent(2, 1, EntryType.ConfChange), ent(3, 1), ent(4, 1, EntryType.ConfChange)], { sync: true });
    await st.append([ent(3, 2, EntryType.ConfChange)], { sync: true });
    assert.equal(store.lastIndex(G), 3);
    assert.equal(store.term(G, 3), 2);
    await store.close();
    ({ store, st } = await openBoth(fs));
    assert.deepEqual(
      st.entries(1, 4, Infinity).map((e) => [e.index, e.term, e.type]),
      [
        [1, 1, EntryType.Normal],
        [2, 1, EntryType.ConfChange],
        [3, 2, EntryType.ConfChange],
      ],
    );
    await store.close();
  });

  it('the store\'s own Compacted comes out as Raft\'s', async () => {
    const { store, st } = await openBoth(new MemFileSystem());
    await st.append([ent(1, 1), ent(2, 1), ent(3, 1)], { sync: true });
    // Another writer compacts behind the adapter's back: the store refuses, in Raft's terms.
    await store.write(new LogBatch().compactTo(G, 3));
    assert.throws(() => st.entries(1, 3, Infinity), (e: unknown) => e instanceof Compacted && e.index === 1 && e.firstIndex === 3);
    assert.throws(() => st.term(2), (e: unknown) => e instanceof Compacted && e.index === 2 && e.firstIndex === 3);
    await store.close();
  });

  it('the format doc\'s worked example is what the adapter writes', async () => {
    const doc = readFileSync(new URL('../../../../docs/format/raft-storage.md', import.meta.url), 'utf8');
    const example = doc.slice(doc.indexOf('## Example'), doc.indexOf('## Writes'));
    const lines = [...example.matchAll(/^(raft\/[a-z-]+)\s+((?:[0-9a-f]{2}\s+)+)/gm)].map((m) => [m[1] as string, (m[2] as string).trim()] as const);
    assert.equal(lines.length, 4, 'the example shows four records');
    const { store, st } = await openBoth(new MemFileSystem());
    const es: Entry[] = [];
    for (let i = 1; i <= 20; i++) es.push(ent(i, i <= 3 ? 1 : i < 10 ? 2 : 3, i <= 3 || i === 15 ? EntryType.ConfChange : EntryType.Normal));
    await st.append(es);
    await st.createSnapshot(10, { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, enc('app state'));
    const stored = (key: string): string => {
      const v = store.get(G, enc(key));
      return v === undefined ? 'absent' : hex(v);
    };
    const [snapshot, types, compacted, typesAfter] = lines;
    assert.deepEqual([snapshot?.[0], stored(KEY_SNAPSHOT_META)], [KEY_SNAPSHOT_META, hex(unhex(snapshot?.[1] ?? ''))]);
    assert.deepEqual([types?.[0], stored(KEY_ENTRY_TYPES)], [KEY_ENTRY_TYPES, hex(unhex(types?.[1] ?? ''))]);
    assert.equal(stored(KEY_COMPACTED), 'absent');
    assert.equal(stored(KEY_SNAPSHOT_DATA), hex(enc('app state')));
    await st.compact(12);
    assert.deepEqual([compacted?.[0], stored(KEY_COMPACTED)], [KEY_COMPACTED, hex(unhex(compacted?.[1] ?? ''))]);
    assert.deepEqual([typesAfter?.[0], stored(KEY_ENTRY_TYPES)], [KEY_ENTRY_TYPES, hex(unhex(typesAfter?.[1] ?? ''))]);
    await store.close();
  });

  describe('a corrupt record is Corruption at open, never data', () => {
    const cases: readonly { readonly name: string; readonly key: string; readonly value: string; readonly offset: number; readonly log?: boolean }[] = [
      { name: 'an unknown version', key: KEY_SNAPSHOT_META, value: '02 0a 03 00 00 00 00 00', offset: 0 },
      { name: 'a snapshot meta cut short', key: KEY_SNAPSHOT_META, value: '01 0a', offset: 2 },
      { name: 'trailing bytes', key: KEY_SNAPSHOT_META, value: '01 0a 03 00 00 00 00 00 ff', offset: 8 },
      { name: 'node id 0 in a ConfState', key: KEY_SNAPSHOT_META, value: '01 0a 03 02 01 00 00 00 00 00', offset: 5 },
      { name: 'an autoLeave byte of 2', key: KEY_SNAPSHOT_META, value: '01 0a 03 00 00 00 00 02', offset: 7 },
      { name: 'a varint longer than 8 bytes', key: KEY_COMPACTED, value: '01 ff ff ff ff ff ff ff ff 01 01', offset: 1 },
      { name: 'an empty value', key: KEY_COMPACTED, value: '', offset: 0 },
      { name: 'a compaction point not just before the first index', key: KEY_COMPACTED, value: '01 07 01', offset: 0 },
      { name: 'entry indexes that do not ascend', key: KEY_ENTRY_TYPES, value: '01 02 01 01 00 01', offset: 4 },
      { name: 'an unknown entry type', key: KEY_ENTRY_TYPES, value: '01 01 02 07', offset: 3 },
      { name: 'an entry type 0 (Normal is never recorded)', key: KEY_ENTRY_TYPES, value: '01 01 02 00', offset: 3 },
      { name: 'an entry type past the last index', key: KEY_ENTRY_TYPES, value: '01 01 09 01', offset: 0 },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const fs = new MemFileSystem();
        let store = await openStore(fs);
        const st = await RaftLogStorage.open(store, G);
        await st.append([ent(1, 1), ent(2, 1), ent(3, 1)], { sync: true });
        await store.write(new LogBatch().put(G, enc(c.key), unhex(c.value)), { sync: true });
        await store.close();
        store = await openStore(fs);
        await assert.rejects(RaftLogStorage.open(store, G), (e: unknown) => {
          assert.ok(e instanceof Corruption, `got ${String(e)}`);
          assert.equal(e.file, `${DIR} group ${G} key ${c.key}`);
          assert.equal(e.offset, c.offset, e.message);
          return true;
        });
        await store.close();
      });
    }

    it('snapshot data missing beside its metadata', async () => {
      const { store, st } = await openBoth(new MemFileSystem());
      await st.append([ent(1, 1)]);
      await st.createSnapshot(1, CS, enc('d'));
      await store.write(new LogBatch().delete(G, enc(KEY_SNAPSHOT_DATA)));
      const again = await RaftLogStorage.open(store, G);
      assert.throws(() => again.snapshot(), Corruption);
      assert.deepEqual(again.snapshotMeta.confState, CS, 'the metadata alone still reads');
      await store.close();
    });
  });

  it('bad input is InvalidArgument and writes nothing', async () => {
    const { store, st } = await openBoth(new MemFileSystem());
    await st.persist({ entries: [ent(1, 1)], hardState: { term: 2, vote: 1, commit: 1 } }, { sync: true });
    const before = dump(st);
    const batches = store.stats().batches;
    const invalid = (e: unknown): boolean => isEngineError(e, 'InvalidArgument');
    await assert.rejects(st.append([ent(2, 2), { index: 3, term: 2, type: 9 as EntryType, data: enc('?') }]), invalid);
    await assert.rejects(st.persist({ entries: [ent(2, 2)], snapshot: { meta: { index: 1, term: 1, confState: { ...CS, voters: [0] } }, data: enc('') } }), invalid);
    await assert.rejects(st.persist({ entries: [ent(2, 2)], hardState: { term: 1, vote: 1, commit: 1 } }), invalid, 'a term going back (the store refuses it)');
    await assert.rejects(st.persist({ entries: [ent(2, 2), ent(4, 2)] }), invalid, 'indexes with a hole');
    await assert.rejects(st.createSnapshot(1, CS, 'data' as unknown as Uint8Array), invalid);
    await assert.rejects(RaftLogStorage.open(store, -1), invalid);
    assert.equal(dump(st), before);
    assert.equal(store.stats().batches, batches, 'nothing reached the store');
    await store.close();
  });

  it('mutators run one at a time in call order', async () => {
    const { store, st } = await openBoth(new MemFileSystem());
    const calls = [st.append([ent(1, 1), ent(2, 1), ent(3, 1, EntryType.ConfChange)]), st.compact(2), st.append([ent(4, 2)]), st.createSnapshot(3, CS, enc('3')), st.compact(9).catch((e: unknown) => e)];
    const results = await Promise.all(calls);
    assert.ok(results[4] instanceof Unavailable, 'compact(9) saw the log as the calls before it left it');
    assert.equal(st.firstIndex(), 3);
    assert.equal(st.lastIndex(), 4);
    assert.equal(st.entries(3, 4, Infinity)[0]?.type, EntryType.ConfChange);
    assert.equal(st.snapshotMeta.index, 3);
    await store.close();
  });

  it('a write that fails leaves the adapter answering as before', async () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    const { store, st } = await openBoth(fs);
    await st.persist({ entries: [ent(1, 1), ent(2, 1)], hardState: { term: 1, vote: 1, commit: 1 } }, { sync: true });
    const before = dump(st);
    fs.inject({ ops: ['datasync'], times: 1 });
    await assert.rejects(st.persist({ snapshot: { meta: { index: 9, term: 3, confState: CS }, data: enc('9') }, entries: [ent(10, 3)] }, { sync: true }), IoError);
    assert.equal(dump(st), before);
    await store.close().catch(() => undefined);
  });
});
