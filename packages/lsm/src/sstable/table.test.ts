// Tables end to end: what TableBuilder writes, TableReader serves back:
// point lookups at every snapshot, full iteration both ways, seeks, range
// tombstones, properties, filter and cache counters; and builder misuse is
// refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadChecksum } from '@strata/engine';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { compareInternal, internalKey, Kind, MAX_SEQ, seqOf, tableKey, tableKeyOf, type SeqNum } from '../keys/internal-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { buildTable, openTable, randomEntries, randomTableKey, type TestEntry } from './fixtures.js';
import { BlockCache, type CacheHandle } from './block-cache.js';
import { TableBuilder } from './table-builder.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Versions of each table key, newest first. */
function byTableKey(entries: readonly TestEntry[]): Map<string, TestEntry[]> {
  const m = new Map<string, TestEntry[]>();
  for (const e of entries) {
    const k = hex(tableKeyOf(e.ikey));
    const list = m.get(k) ?? [];
    list.push(e);
    m.set(k, list);
  }
  return m;
}

function modelBound(entries: readonly TestEntry[], probe: Uint8Array, strict: boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareInternal((entries[mid] as TestEntry).ikey, probe);
    if (strict ? c <= 0 : c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe('sstable', () => {
  it('round-trips ~5k entries with several versions per key: gets at every snapshot, iteration both ways, seeks', async () => {
    const rng = new Rng(testSeed('table round trip'));
    const entries = randomEntries(rng, 2000);
    const built = await buildTable(entries, [], { blockSize: 1024 });
    const { reader, counters } = openTable(built.fs, built.path, built.checksum);
    const p = reader.properties;
    assert.deepEqual(p, built.props);
    assert.equal(p.entries, entries.length);
    assert.equal(p.deletions, entries.filter((e) => e.ikey[e.ikey.length - 1] === Kind.Delete).length);
    assert.equal(p.rawKeyBytes, entries.reduce((s, e) => s + e.ikey.length, 0));
    assert.equal(p.rawValueBytes, entries.reduce((s, e) => s + e.value.length, 0));
    assert.deepEqual(p.smallestPoint, entries[0]?.ikey);
    assert.deepEqual(p.largestPoint, entries[entries.length - 1]?.ikey);
    assert.equal(p.smallestSeq, Math.min(...entries.map((e) => seqOf(e.ikey))));
    assert.equal(p.largestSeq, Math.max(...entries.map((e) => seqOf(e.ikey))));
    assert.equal(p.fileSize, built.fs.stat(built.path).size);
    assert.ok(p.dataBlocks > 10 && p.compressedBlocks > 0, `${p.dataBlocks} blocks, ${p.compressedBlocks} compressed`);
    assert.equal(p.rangeTombstones, 0);
    assert.deepEqual(reader.rangeTombstones(), []);
    reader.verify();

    // Point lookups at every interesting snapshot.
    const versions = byTableKey(entries);
    for (const list of versions.values()) {
      const tkey = tableKeyOf((list[0] as TestEntry).ikey);
      const seqs = list.flatMap((e) => [seqOf(e.ikey), seqOf(e.ikey) - 1]);
      for (const seq of [MAX_SEQ, 0, ...seqs]) {
        const want = list.find((e) => seqOf(e.ikey) <= seq);
        const got = reader.get(tkey, seq as SeqNum);
        if (want === undefined) assert.equal(got, undefined);
        else {
          assert.ok(got !== undefined, `missing ${hex(tkey)}@${seq}`);
          assert.equal(got.seq, seqOf(want.ikey));
          assert.equal(got.kind, want.ikey[want.ikey.length - 1]);
          assert.deepEqual(got.value, want.value);
        }
      }
    }
    assert.equal(counters.filterFalsePositives, 0, 'present keys are never false positives');
    assert.ok(counters.blockCacheHits > 0 && counters.blockCacheMisses <= p.dataBlocks);
    assert.equal(counters.blocksRead, counters.blockCacheHits + counters.blockCacheMisses);

    // Absent keys: each is a filter negative or a counted false positive.
    const probedBefore = counters.tablesProbed;
    let absent = 0;
    while (absent < 2000) {
      const tkey = randomTableKey(rng, 16);
      if (versions.has(hex(tkey))) continue;
      absent++;
      assert.equal(reader.get(tkey, MAX_SEQ), undefined);
    }
    assert.equal(counters.tablesProbed - probedBefore, absent);
    assert.equal(counters.filterNegatives + counters.filterFalsePositives, absent);
    assert.ok(counters.filterFalsePositives < absent * 0.05);

    // Full iteration forward and backward equals the sorted input.
    const it = reader.iterator();
    const forward: TestEntry[] = [];
    for (it.seekToFirst(); it.valid; it.next()) forward.push({ ikey: it.key().slice(), value: it.value().slice() });
    assert.deepEqual(forward, entries);
    const backward: TestEntry[] = [];
    for (it.seekToLast(); it.valid; it.prev()) backward.push({ ikey: it.key().slice(), value: it.value().slice() });
    assert.deepEqual(backward, [...entries].reverse());

    // Seeks agree with the model, and stepping from there stays in order.
    for (let n = 0; n < 1000; n++) {
      const probe = rng.chance(0.3)
        ? rng.pick(entries).ikey
        : internalKey(randomTableKey(rng), rng.chance(0.1) ? MAX_SEQ : rng.range(0, 100_000), rng.chance(0.5) ? Kind.Put : Kind.Delete);
      const lb = modelBound(entries, probe, false);
      it.seek(probe);
      if (lb === entries.length) assert.equal(it.valid, false);
      else {
        assert.deepEqual(it.key(), entries[lb]?.ikey);
        if (lb > 0 && rng.chance(0.5)) {
          it.prev();
          assert.deepEqual(it.key(), entries[lb - 1]?.ikey);
        } else if (lb + 1 < entries.length) {
          it.next();
          assert.deepEqual(it.key(), entries[lb + 1]?.ikey);
        }
      }
      const ub = modelBound(entries, probe, true) - 1;
      it.seekForPrev(probe);
      if (ub < 0) assert.equal(it.valid, false);
      else {
        assert.deepEqual(it.key(), entries[ub]?.ikey);
        assert.deepEqual(it.value(), entries[ub]?.value);
      }
    }
    reader.close();
  });

  it('serves correct data through a cache too small to hold a block, and without a filter', async () => {
    const rng = new Rng(testSeed('table tiny cache'));
    const entries = randomEntries(rng, 300);
    const built = await buildTable(entries, [], { blockSize: 512, bloomBitsPerKey: 0, compression: 'none', restartInterval: 4 });
    assert.equal(built.props.filterBytes, 0);
    assert.equal(built.props.compressedBlocks, 0);
    const { reader, counters, cache } = openTable(built.fs, built.path, built.checksum, { cacheBytes: 0 });
    for (const e of entries) {
      const got = reader.get(tableKeyOf(e.ikey), seqOf(e.ikey));
      assert.equal(got?.seq, seqOf(e.ikey));
      assert.deepEqual(got.value, e.value);
    }
    assert.equal(reader.mayContain(tableKey(9, Uint8Array.of(1))), true);
    assert.equal(counters.blockCacheHits, 0);
    assert.equal(counters.filterNegatives, 0);
    assert.equal(cache.stats().entries, 0);
    const it = reader.iterator();
    let n = 0;
    for (it.seekToFirst(); it.valid; it.next()) assert.deepEqual(it.key(), entries[n++]?.ikey);
    assert.equal(n, entries.length);
    reader.close();
  });

  it('serves correct data through a cache that keeps evicting and after evictFile (kept handles go stale); counters agree with the cache', async () => {
    const rng = new Rng(testSeed('table evicting cache'));
    const entries = randomEntries(rng, 600);
    const built = await buildTable(entries, [], { blockSize: 512, compression: 'none', restartInterval: 4 });
    // Room for a few decoded blocks of ~40 in the table.
    const { reader, counters, cache } = openTable(built.fs, built.path, built.checksum, { cacheBytes: 6000 });
    const blocks = reader.index.count;
    assert.ok(blocks > 20, `${blocks} blocks`);
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 2000; n++) {
        const e = entries[rng.int(entries.length)] as TestEntry;
        const got = reader.get(tableKeyOf(e.ikey), seqOf(e.ikey));
        assert.equal(got?.seq, seqOf(e.ikey));
        assert.deepEqual(got.value, e.value);
      }
      if (round === 1) cache.evictFile(7);
    }
    const s = cache.stats();
    assert.ok(s.evictions > 0 && s.bytes <= 6000);
    assert.equal(counters.blockCacheHits + counters.blockCacheMisses, counters.blocksRead);
    assert.equal(counters.blockCacheHits, s.hits);
    assert.equal(counters.blockCacheMisses, s.misses);
    reader.close();
  });

  it('a removed cache handle lets go of its value and of its holder\'s slot', () => {
    const c = new BlockCache<string>(200);
    const slots: (CacheHandle<string> | undefined)[] = [];
    const a = c.insert(1, 0, 'a', 100);
    const b = c.insert(1, 100, 'b', 100);
    assert.ok(a !== undefined && b !== undefined);
    c.adopt(a, slots, 0);
    c.adopt(b, slots, 1);
    c.insert(2, 0, 'c', 100); // evicts a
    assert.equal(a.cached, false);
    assert.equal(a.value, undefined);
    assert.equal(slots[0], undefined);
    assert.equal(slots[1], b);
    c.evictFile(1);
    assert.equal(b.value, undefined);
    assert.equal(slots[1], undefined);
    assert.throws(() => c.touch(b), /removed/);
  });

  it('round-trips range tombstones alongside points, and they widen the sequence bounds', async () => {
    const enc = (s: string): Uint8Array => tableKey(1, new TextEncoder().encode(s));
    const tombstones: RangeTombstone[] = [
      { start: enc('a'), end: enc('c'), seq: 900 as SeqNum },
      { start: enc('a'), end: enc('c'), seq: 5 as SeqNum },
      { start: enc('c'), end: enc('d'), seq: 7 as SeqNum },
      { start: enc('m'), end: tableKey(2, new Uint8Array(0)), seq: 1 as SeqNum },
    ];
    const points = [
      { ikey: internalKey(enc('b'), 10, Kind.Put), value: Uint8Array.of(1) },
      { ikey: internalKey(enc('x'), 20, Kind.Delete), value: new Uint8Array(0) },
    ];
    const built = await buildTable(points, tombstones);
    const { reader } = openTable(built.fs, built.path, built.checksum);
    assert.deepEqual(reader.rangeTombstones(), tombstones);
    const p = reader.properties;
    assert.equal(p.rangeTombstones, 4);
    assert.equal(p.deletions, 1);
    assert.deepEqual(p.smallestTombstoneStart, enc('a'));
    assert.deepEqual(p.largestTombstoneEnd, tableKey(2, new Uint8Array(0)));
    assert.equal(p.smallestSeq, 1);
    assert.equal(p.largestSeq, 900);
    assert.deepEqual(reader.get(enc('b'), MAX_SEQ)?.value, Uint8Array.of(1));
    assert.equal(reader.get(enc('x'), MAX_SEQ)?.kind, Kind.Delete);
    reader.close();
  });

  it('a table of only tombstones, and an empty table, open and iterate as empty', async () => {
    const only = await buildTable([], [{ start: tableKey(1, Uint8Array.of(1)), end: tableKey(1, Uint8Array.of(2)), seq: 3 as SeqNum }]);
    const empty = await buildTable([]);
    for (const built of [only, empty]) {
      const { reader } = openTable(built.fs, built.path, built.checksum);
      assert.equal(reader.properties.entries, 0);
      assert.equal(reader.properties.dataBlocks, 0);
      assert.equal(reader.properties.smallestPoint, undefined);
      assert.equal(reader.get(tableKey(1, Uint8Array.of(1)), MAX_SEQ), undefined);
      const it = reader.iterator();
      it.seekToFirst();
      assert.equal(it.valid, false);
      it.seekToLast();
      assert.equal(it.valid, false);
      it.seek(internalKey(tableKey(1, Uint8Array.of(1)), 1, Kind.Put));
      assert.equal(it.valid, false);
      it.seekForPrev(internalKey(tableKey(1, Uint8Array.of(1)), 1, Kind.Put));
      assert.equal(it.valid, false);
      reader.close();
    }
    assert.equal(only.props.smallestSeq, 3);
    assert.equal(empty.props.largestSeq, 0);
  });

  it('refuses keys out of order, bad keys, bad fragments and use after finish', async () => {
    const checksum = await loadChecksum();
    const fs = new MemFileSystem();
    const file = fs.create('/x.sst');
    const b = new TableBuilder(file, {}, { checksum });
    const k = (s: number, seq: number): Uint8Array => internalKey(tableKey(1, Uint8Array.of(s)), seq, Kind.Put);
    b.add(k(5, 10), new Uint8Array(0));
    assert.throws(() => b.add(k(5, 10), new Uint8Array(0)), /out of order/);
    assert.throws(() => b.add(k(5, 11), new Uint8Array(0)), /out of order/);
    assert.throws(() => b.add(k(4, 1), new Uint8Array(0)), /out of order/);
    assert.throws(() => b.add(Uint8Array.of(1, 2), new Uint8Array(0)), /not an internal key/);
    const badKind = k(6, 1);
    badKind[badKind.length - 1] = 9;
    assert.throws(() => b.add(badKind, new Uint8Array(0)), /unknown kind/);
    b.add(k(5, 9), new Uint8Array(0));
    const t = (a: number, z: number, seq: number): RangeTombstone => ({ start: tableKey(1, Uint8Array.of(a)), end: tableKey(1, Uint8Array.of(z)), seq: seq as SeqNum });
    assert.throws(() => b.addRangeTombstone(t(3, 3, 1)), /not before its end/);
    b.addRangeTombstone(t(1, 4, 9));
    assert.throws(() => b.addRangeTombstone(t(1, 4, 9)), /descending seq/);
    assert.throws(() => b.addRangeTombstone(t(1, 5, 8)), /different ends/);
    assert.throws(() => b.addRangeTombstone(t(3, 6, 8)), /overlap/);
    assert.throws(() => b.addRangeTombstone(t(0, 6, 8)), /not sorted/);
    b.addRangeTombstone(t(1, 4, 2));
    b.addRangeTombstone(t(4, 6, 2));
    const props = b.finish();
    assert.equal(props.entries, 2);
    assert.equal(props.rangeTombstones, 3);
    assert.throws(() => b.add(k(9, 1), new Uint8Array(0)), /already finished/);
    assert.throws(() => b.finish(), /already finished/);
    file.close();
    assert.throws(() => new TableBuilder(fs.open('/x.sst'), {}, { checksum }), /not empty/);
  });
});
