// The store as a Raft log: reads after writes and after reopen, group
// commit, the checks write() makes, rotation and purge, torn tails cut at
// every byte, corruption in either recovery mode, and fail-stop after a
// failed sync.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Closed, Corruption, InvalidArgument, IoError, RECORD_HEADER_SIZE } from '@strata/engine';
import { FaultFileSystem, MemFileSystem, Rng, type FileSystem } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { Compacted, Unavailable } from '../errors.js';
import { LogBatch, type Entry } from '../format/log-batch.js';
import { RaftLogStore } from './raft-log-store.js';
import { listSegments, segmentName } from './segment.js';

const DIR = '/raft';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Incompressible bytes determined by (index, tag), so lz4 keeps none of them and segments fill as the sizes say. */
function entryData(index: number, tag: number, size: number): Uint8Array {
  const rng = new Rng(index * 7919 + tag);
  return rng.bytes(size);
}

function entries(from: number, n: number, term: number, size = 8, tag = 0): Entry[] {
  return Array.from({ length: n }, (_, i) => ({ index: from + i, term, data: entryData(from + i, tag, size) }));
}

function open(fs: FileSystem, extra: Partial<Parameters<typeof RaftLogStore.open>[1]> = {}): Promise<RaftLogStore> {
  return RaftLogStore.open(DIR, { fs, ...extra });
}

function plain(es: readonly Entry[]): unknown[] {
  return es.map((e) => ({ index: e.index, term: e.term, data: [...e.data] }));
}

describe('raft log store', () => {
  it('reads back entries, terms, bounds, hard states and keys, before and after reopen', async () => {
    const fs = new MemFileSystem();
    let s = await open(fs);
    await s.write(new LogBatch().append(1, entries(1, 10, 1)).reset(2, 5).append(2, entries(5, 3, 4)).setHardState(1, { term: 1, vote: 3, commit: 7 }).put(2, enc('applied'), enc('6')), { sync: true });
    await s.write(new LogBatch().append(1, entries(8, 5, 2, 8, 100)).delete(2, enc('nope')), { sync: true });
    const check = (st: RaftLogStore): void => {
      assert.deepEqual(plain(st.entries(1, 1, 13)), plain([...entries(1, 7, 1), ...entries(8, 5, 2, 8, 100)]));
      assert.equal(st.term(1, 7), 1);
      assert.equal(st.term(1, 8), 2);
      assert.equal(st.firstIndex(1), 1);
      assert.equal(st.lastIndex(1), 12);
      assert.equal(st.firstIndex(2), 5);
      assert.equal(st.lastIndex(2), 7);
      assert.deepEqual(st.hardState(1), { term: 1, vote: 3, commit: 7 });
      assert.equal(st.hardState(2), undefined);
      assert.deepEqual(st.get(2, enc('applied')), enc('6'));
      assert.equal(st.get(2, enc('nope')), undefined);
      assert.equal(st.firstIndex(99), 1, 'an unknown group is an empty log');
      assert.equal(st.lastIndex(99), 0);
      assert.deepEqual(st.entries(99, 1, 1), []);
      assert.throws(() => st.entries(2, 4, 6), Compacted);
      assert.throws(() => st.entries(2, 5, 9), Unavailable);
      assert.throws(() => st.term(1, 13), Unavailable);
      assert.throws(() => st.entries(1, 3, 2), InvalidArgument);
      // maxBytes: whole entries up to the limit, and always at least one.
      assert.equal(st.entries(1, 1, 13, 20).length, 2);
      assert.equal(st.entries(1, 1, 13, 0).length, 1);
    };
    check(s);
    assert.equal(s.stats().cache.misses, 0, 'recent entries came from memory');
    await s.close();
    assert.throws(() => s.entries(1, 1, 2), Closed);
    await assert.rejects(s.write(new LogBatch()), Closed);
    s = await open(fs);
    check(s);
    assert.ok(s.stats().cache.misses > 0, 'after reopen, entries were read from the segment');
    await s.close();
  });

  it('coalesces concurrent synced writes into one group with one fdatasync', async () => {
    const fs = new MemFileSystem();
    const s = await open(fs);
    const before = s.stats().fsyncs;
    await Promise.all(Array.from({ length: 64 }, (_, w) => s.write(new LogBatch().append(w, entries(1, 4, 1, 1024)), { sync: true })));
    const st = s.stats();
    assert.equal(st.fsyncs - before, 1);
    assert.equal(st.commitGroups, 1);
    assert.equal(st.batches, 64);
    for (let w = 0; w < 64; w++) assert.equal(s.lastIndex(w), 4);
    await s.close();
  });

  it('refuses gaps, appends below the first index and hard states going back, before writing anything', async () => {
    const fs = new MemFileSystem();
    const s = await open(fs);
    await s.write(new LogBatch().append(1, entries(1, 5, 2)).setHardState(1, { term: 2, vote: 1, commit: 0 }).compactTo(1, 3));
    const refused = [
      new LogBatch().append(1, entries(7, 1, 2)),
      new LogBatch().append(1, entries(2, 1, 2)),
      new LogBatch().setHardState(1, { term: 1, vote: 1, commit: 0 }),
      new LogBatch().setHardState(1, { term: 2, vote: 2, commit: 0 }),
      // All or nothing: the good first item is not accepted either.
      new LogBatch().append(1, entries(6, 1, 2)).append(1, entries(9, 1, 2)),
    ];
    for (const b of refused) await assert.rejects(s.write(b), InvalidArgument);
    // The checks count writes still queued: this append follows one not yet committed.
    const a = s.write(new LogBatch().append(1, entries(6, 2, 3)));
    const b = s.write(new LogBatch().append(1, entries(8, 1, 3)).setHardState(1, { term: 3, vote: 0, commit: 4 }));
    await Promise.all([a, b]);
    assert.equal(s.lastIndex(1), 8);
    assert.equal(s.firstIndex(1), 3);
    // A follower's log: overwriting a conflicting suffix, and truncating it.
    await s.write(new LogBatch().append(1, entries(5, 2, 4)).truncate(1, 7));
    assert.equal(s.lastIndex(1), 6);
    assert.equal(s.term(1, 6), 4);
    // An empty log's next entry is at its first index; only a reset (installing a snapshot) moves it.
    await s.write(new LogBatch().compactTo(3, 100));
    await assert.rejects(s.write(new LogBatch().append(3, entries(5, 1, 1))), InvalidArgument);
    await assert.rejects(s.write(new LogBatch().append(4, entries(2, 1, 1))), InvalidArgument, 'a new group starts at 1');
    await s.write(new LogBatch().reset(3, 5).append(3, entries(5, 1, 1)));
    assert.equal(s.firstIndex(3), 5);
    await assert.rejects(s.write('x' as unknown as LogBatch), InvalidArgument);
    await assert.rejects(s.write(new LogBatch(), { sync: 1 as unknown as boolean }), InvalidArgument);
    await s.close();
  });

  it('rotates segments, and purge deletes what no group needs after rewriting state that lived there', async () => {
    const fs = new MemFileSystem();
    let s = await open(fs, { targetSegmentSize: 4096 });
    await s.write(new LogBatch().setHardState(7, { term: 1, vote: 1, commit: 0 }).put(7, enc('k'), enc('v')).put(7, enc('gone'), enc('x')), { sync: true });
    await s.write(new LogBatch().append(8, entries(1, 3, 1)).compactTo(8, 4), { sync: true });
    for (let i = 0; i < 40; i++) {
      await s.write(new LogBatch().append(1, entries(1 + i * 10, 10, 1, 100)).append(2, entries(1 + i * 10, 10, 1, 100, 1)), { sync: i % 2 === 0 });
    }
    await s.write(new LogBatch().delete(7, enc('gone')));
    const segs = listSegments(fs, DIR);
    assert.ok(segs.length > 10, `${segs.length} segments`);
    // Nothing can go while both groups still hold entry 1.
    assert.deepEqual(await s.purge(), { removed: [], holdingBack: [1, 2] });
    await s.write(new LogBatch().compactTo(1, 200));
    const p1 = await s.purge();
    assert.deepEqual(p1.removed, [], 'group 2 still holds the first segment');
    assert.deepEqual(p1.holdingBack, [2]);
    await s.write(new LogBatch().compactTo(2, 300), { sync: true });
    const p2 = await s.purge();
    assert.ok(p2.removed.length > 5, `removed ${p2.removed.join(',')}`);
    assert.equal(p2.removed[0], 1);
    assert.deepEqual(p2.holdingBack, [1]);
    assert.equal(fs.exists(`${DIR}/${segmentName(1)}`), false);
    const check = (st: RaftLogStore): void => {
      assert.deepEqual(st.hardState(7), { term: 1, vote: 1, commit: 0 });
      assert.deepEqual(st.get(7, enc('k')), enc('v'));
      assert.equal(st.get(7, enc('gone')), undefined, 'a deleted key stays deleted');
      assert.equal(st.firstIndex(8), 4, 'an empty log keeps its first index');
      assert.equal(st.lastIndex(8), 3);
      assert.equal(st.firstIndex(1), 200);
      assert.equal(st.firstIndex(2), 300);
      assert.deepEqual(plain(st.entries(2, 300, 401)), plain(entries(300, 101, 1, 100, 1)));
    };
    check(s);
    await s.close();
    s = await open(fs, { targetSegmentSize: 4096 });
    check(s);
    await s.close();
  });

  it('an empty log keeps its first index through purge and reopen, whatever emptied it', async () => {
    const fs = new MemFileSystem();
    let s = await open(fs, { targetSegmentSize: 1024 });
    await s.write(new LogBatch().append(1, entries(1, 5, 1, 300)), { sync: true });
    await s.write(new LogBatch().append(1, entries(6, 2, 1, 300)), { sync: true });
    // Emptied at 1; replaying from the floor alone would leave it empty at 6.
    await s.write(new LogBatch().truncate(1, 1), { sync: true });
    assert.ok((await s.purge()).removed.length > 0);
    await s.close();
    s = await open(fs, { targetSegmentSize: 1024 });
    assert.equal(s.firstIndex(1), 1);
    assert.equal(s.lastIndex(1), 0);
    await s.write(new LogBatch().append(1, entries(1, 1, 2)), { sync: true });
    await s.close();
  });

  it('leftovers of an interrupted purge (files below the floor) are deleted unread at open', async () => {
    const fs = new MemFileSystem();
    let s = await open(fs, { targetSegmentSize: 2048 });
    for (let i = 0; i < 10; i++) await s.write(new LogBatch().append(1, entries(1 + i * 10, 10, 1, 100)).put(1, enc('i'), enc(String(i))), { sync: true });
    await s.write(new LogBatch().compactTo(1, 100).put(1, enc('gone'), enc('1')), { sync: true });
    await s.write(new LogBatch().delete(1, enc('gone')), { sync: true });
    const old = fs.crashClone({ kind: 'process', seed: 1 });
    const removed = (await s.purge()).removed;
    assert.ok(removed.length > 2);
    await s.close();
    // Put one purged segment back, garbage included: the floor says it is dead.
    const keep = `${DIR}/${segmentName(removed[1] as number)}`;
    const f = fs.create(keep);
    f.append(old.open(keep).read(0, 1 << 20));
    f.append(new Uint8Array(100).fill(0xee));
    f.close();
    s = await open(fs, { targetSegmentSize: 2048 });
    assert.equal(s.stats().recovery.leftovers, 1);
    assert.equal(fs.exists(keep), false);
    assert.equal(s.get(1, enc('gone')), undefined);
    assert.deepEqual(s.get(1, enc('i')), enc('9'));
    assert.equal(s.firstIndex(1), 100);
    await s.close();
  });

  it('a tail cut at every byte of the last batch keeps exactly the complete batches', async () => {
    const base = new MemFileSystem();
    const s = await open(base);
    const path = `${DIR}/${segmentName(1)}`;
    let lastFrame = 0;
    for (let i = 0; i < 5; i++) {
      lastFrame = base.stat(path).size;
      await s.write(new LogBatch().append(1, entries(1 + i * 3, 3, 1, 20)).setHardState(1, { term: 1, vote: 0, commit: i }), { sync: true });
    }
    await s.close();
    const full = base.stat(path).size;
    for (let cut = lastFrame; cut <= full; cut++) {
      const fs = base.crashClone({ kind: 'process', seed: 1 });
      const f = fs.open(path, { writable: true });
      f.truncate(cut);
      f.close();
      const r = await open(fs);
      const complete = cut === full ? 5 : 4;
      assert.equal(r.lastIndex(1), complete * 3, `cut at ${cut}`);
      assert.equal(r.hardState(1)?.commit, complete - 1, `cut at ${cut}`);
      assert.equal(r.stats().recovery.cut?.offset, cut === lastFrame || cut === full ? undefined : lastFrame, `cut at ${cut}`);
      await r.write(new LogBatch().append(1, entries(complete * 3 + 1, 1, 2)), { sync: true });
      await r.close();
      const again = await open(fs, { recoveryMode: 'absolute-consistency' });
      assert.equal(again.lastIndex(1), complete * 3 + 1, 'the cut was synced: the next writes follow the complete batches');
      await again.close();
      if (cut !== lastFrame && cut !== full) {
        const torn = base.crashClone({ kind: 'process', seed: 1 });
        const t = torn.open(path, { writable: true });
        t.truncate(cut);
        t.close();
        await assert.rejects(open(torn, { recoveryMode: 'absolute-consistency' }), (e: unknown) => e instanceof Corruption && e.file === path && e.offset === lastFrame);
      }
    }
    assert.ok(full - lastFrame > RECORD_HEADER_SIZE + 60, 'every byte of the last frame was cut');
  });

  it('a flipped byte in a segment that is not the newest is Corruption in both modes; a damaged frame is never served', async () => {
    const rng = new Rng(testSeed('raftlog store corruption'));
    const base = new MemFileSystem();
    const s = await open(base, { targetSegmentSize: 4096 });
    for (let i = 0; i < 30; i++) await s.write(new LogBatch().append(1, entries(1 + i * 10, 10, 1, 60)), { sync: true });
    await s.close();
    const segs = listSegments(base, DIR);
    assert.ok(segs.length >= 3);
    for (let round = 0; round < 12; round++) {
      const fs = base.crashClone({ kind: 'process', seed: round });
      const victim = segs[rng.int(segs.length - 1)] as number;
      const path = `${DIR}/${segmentName(victim)}`;
      const f = fs.open(path, { writable: true });
      const at = rng.int(f.size());
      f.writeAt(Uint8Array.of((f.read(at, 1)[0] as number) ^ (1 << rng.int(8))), at);
      f.close();
      for (const recoveryMode of ['tolerate-tail-corruption', 'absolute-consistency'] as const) {
        await assert.rejects(open(fs, { recoveryMode }), (e: unknown) => e instanceof Corruption && e.file === path, `round ${round}: byte ${at} of segment ${victim}, ${recoveryMode}`);
      }
    }
    // Damage after open: the read from the file is checked.
    const fs = base.crashClone({ kind: 'process', seed: 99 });
    const r = await open(fs, { targetSegmentSize: 4096, cacheBytes: 0 });
    const path = `${DIR}/${segmentName(1)}`;
    const f = fs.open(path, { writable: true });
    f.writeAt(Uint8Array.of(0x55 ^ (f.read(200, 1)[0] as number)), 200);
    f.close();
    assert.throws(() => r.entries(1, 1, 2), (e: unknown) => e instanceof Corruption && e.file === path);
    await r.close();
  });

  it('a failed fdatasync fails the store stop; what was synced before survives reopen', async () => {
    const mem = new MemFileSystem();
    const fs = new FaultFileSystem(mem, { seed: 1 });
    const s = await open(fs);
    await s.write(new LogBatch().append(1, entries(1, 3, 1)).setHardState(1, { term: 1, vote: 1, commit: 1 }), { sync: true });
    const rule = fs.inject({ ops: ['datasync'], times: 1 });
    await assert.rejects(s.write(new LogBatch().append(1, entries(4, 1, 1)), { sync: true }), IoError);
    assert.equal(rule.injected, 1);
    // Fail-stop: later writes and purges are refused with the same error, though the disk works again.
    await assert.rejects(s.write(new LogBatch().append(1, entries(4, 1, 1)), { sync: true }), IoError);
    await assert.rejects(s.purge(), IoError);
    assert.equal(s.lastIndex(1), 3, 'the failed batch was never applied');
    await s.close();
    const crashed = mem.crashClone({ seed: 7 });
    const r = await open(crashed);
    // The failed batch reached the OS, so a crash may keep it or drop it, never half of it.
    assert.ok(r.lastIndex(1) === 3 || r.lastIndex(1) === 4, `last index ${r.lastIndex(1)}`);
    assert.deepEqual(r.hardState(1), { term: 1, vote: 1, commit: 1 });
    await r.close();
  });

  it('a failed append fails the store stop, and recovery cuts the partial frame', async () => {
    const mem = new MemFileSystem();
    const fs = new FaultFileSystem(mem, { seed: 3 });
    const s = await open(fs);
    await s.write(new LogBatch().append(1, entries(1, 3, 1, 100)), { sync: true });
    const path = `${DIR}/${segmentName(1)}`;
    const before = mem.stat(path).size;
    // Fail appends until one leaves part of its frame behind (a seeded random prefix may be empty).
    const rule = fs.inject({ ops: ['append'], partialWrite: true, errno: 'ENOSPC' });
    await assert.rejects(s.write(new LogBatch().append(1, entries(4, 3, 1, 100)), { sync: true }), IoError);
    await assert.rejects(s.write(new LogBatch().append(1, entries(4, 3, 1, 100))), IoError);
    rule.remove();
    await s.close();
    const partial = mem.stat(path).size - before;
    const r = await open(mem);
    assert.equal(r.lastIndex(1), 3);
    assert.equal(r.stats().recovery.cut?.offset, partial > 0 ? before : undefined, `${partial} bytes of the failed frame were written`);
    assert.ok(partial > 0, "seed 3 leaves a partial frame, so the cut is exercised");
    await r.write(new LogBatch().append(1, entries(4, 1, 1)), { sync: true });
    await r.close();
  });

  it('refuses bad options and a second open of the same directory', async () => {
    const fs = new MemFileSystem();
    await assert.rejects(open(fs, { targetSegmentSize: 10 }), InvalidArgument);
    await assert.rejects(open(fs, { recoveryMode: 'yolo' as 'absolute-consistency' }), InvalidArgument);
    await assert.rejects(RaftLogStore.open('/nowhere', { fs, createIfMissing: false }), InvalidArgument);
    const s = await open(fs);
    await assert.rejects(open(fs), IoError);
    // Every close() call waits for the same close.
    void s.close();
    await s.close();
    await (await open(fs)).close();
  });
});
