// The arena memtable against a sorted model: seeded random inserts whose keys
// share long prefixes that later arrivals break (so the tree's shared prefix
// shrinks and heads are recomputed), then span two tables, include empty and
// prefix-of-each-other keys, large values that take chunks of their own, and
// many versions of one key. Checks iteration both ways, seek and seekForPrev,
// get at random read seqs, cursors kept across inserts, and the frozen form a
// flush hands the worker.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { FrozenIterator } from '../compaction/worker/frozen-iterator.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { compareInternal, internalKey, Kind, KIND_MAX, seqOf, tableKey, TRAILER_SIZE } from '../keys/internal-key.js';
import { Memtable } from './memtable.js';

interface ModelEntry {
  readonly ikey: Uint8Array;
  readonly value: Uint8Array;
}

function randomKey(rng: Rng, phase: number): Uint8Array {
  // Phase 0: keys sharing a 10-byte prefix; later phases break it step by step.
  const shared = phase === 0 ? 10 : phase === 1 ? 4 : 0;
  const len = shared + rng.int(phase === 2 ? 4 : 8);
  const k = new Uint8Array(len);
  for (let i = 0; i < len; i++) k[i] = i < shared ? 0x30 : 0x30 + rng.int(4);
  return k;
}

function drain(it: InternalIterator, reverse = false): ModelEntry[] {
  const out: ModelEntry[] = [];
  if (reverse) for (it.seekToLast(); it.valid; it.prev()) out.push({ ikey: it.key().slice(), value: it.value().slice() });
  else for (it.seekToFirst(); it.valid; it.next()) out.push({ ikey: it.key().slice(), value: it.value().slice() });
  return out;
}

describe('memtable', () => {
  it('agrees with a sorted model across shrinking prefixes, two tables and large values', () => {
    const rng = new Rng(testSeed('memtable model'));
    const mem = new Memtable(1);
    const model: ModelEntry[] = [];
    const used: Uint8Array[] = [];
    let seq = 0;
    const cursor = mem.iterator();
    let cursorAt: Uint8Array | undefined;
    for (let phase = 0; phase < 3; phase++) {
      for (let n = 0; n < 1500; n++) {
        seq++;
        const table = phase === 2 && rng.chance(0.3) ? 7 : 1;
        const key = used.length > 0 && rng.chance(0.3) ? (used[rng.int(used.length)] as Uint8Array) : randomKey(rng, phase);
        used.push(key);
        const tkey = tableKey(table, key);
        const kind = rng.chance(0.2) ? Kind.Delete : Kind.Put;
        const value = kind === Kind.Delete ? new Uint8Array(0) : rng.bytes(rng.chance(0.005) ? 300_000 : rng.int(120));
        if (rng.chance(0.5)) {
          mem.add(seq, kind, tkey, value);
        } else {
          // The batch path: key and value as ranges of a larger buffer.
          const buf = new Uint8Array(3 + key.length + value.length);
          buf.set(key, 3);
          buf.set(value, 3 + key.length);
          mem.addFromBytes(seq, kind, table, buf, 3, key.length, 3 + key.length, value.length);
        }
        model.push({ ikey: internalKey(tkey, seq, kind), value });
        // A cursor held across inserts keeps its place: next() moves to the model's successor.
        if (n % 97 === 0) {
          model.sort((a, b) => compareInternal(a.ikey, b.ikey));
          if (cursorAt !== undefined && cursor.valid) {
            cursor.next();
            const i = model.findIndex((e) => compareInternal(e.ikey, cursorAt as Uint8Array) > 0);
            if (i < 0) assert.equal(cursor.valid, false);
            else assert.deepEqual(cursor.key(), (model[i] as ModelEntry).ikey, `cursor after ${String(cursorAt)}`);
          }
          cursor.seek((model[rng.int(model.length)] as ModelEntry).ikey);
          cursorAt = cursor.valid ? cursor.key().slice() : undefined;
        }
      }
    }
    model.sort((a, b) => compareInternal(a.ikey, b.ikey));
    assert.equal(mem.entries, model.length);
    assert.deepEqual(drain(mem.iterator()), model);
    assert.deepEqual(drain(mem.iterator(), true), [...model].reverse());
    assert.deepEqual(drain(new FrozenIterator(mem.frozen())), model);

    const it = mem.iterator();
    for (let q = 0; q < 2000; q++) {
      // Probes: existing keys, random keys of every phase, and keys outside the shared prefix.
      const pick = rng.int(3);
      const key = pick === 0 ? (used[rng.int(used.length)] as Uint8Array) : pick === 1 ? randomKey(rng, rng.int(3)) : rng.bytes(rng.int(4));
      const table = rng.chance(0.2) ? 7 : rng.chance(0.1) ? rng.int(9) : 1;
      // A third of the probes hit an entry's exact (key, seq), where the probe's kind decides the order.
      const hit = rng.chance(0.33) ? (model[rng.int(model.length)] as ModelEntry) : undefined;
      const tkey = hit !== undefined ? hit.ikey.slice(0, hit.ikey.length - TRAILER_SIZE) : tableKey(table, key);
      const readSeq = hit !== undefined ? seqOf(hit.ikey) : 1 + rng.int(seq + 1);
      // Seek probes of either kind: equal (key, seq) with a smaller kind sorts after the entry.
      const probe = internalKey(tkey, readSeq, rng.chance(0.5) ? KIND_MAX : Kind.Delete);

      const lookup = internalKey(tkey, readSeq, KIND_MAX);
      const want = model.find((e) => compareInternal(e.ikey, lookup) >= 0 && equalTableKey(e.ikey, tkey));
      const got = mem.get(tkey, readSeq);
      if (want === undefined) {
        assert.equal(got, undefined, `get ${String(tkey)} @${readSeq}`);
      } else {
        assert.ok(got !== undefined, `get ${String(tkey)} @${readSeq}`);
        assert.equal(got.seq, seqOf(want.ikey));
        assert.equal(got.kind, want.ikey[want.ikey.length - 1]);
        assert.deepEqual(got.value, want.value);
      }

      const ge = model.findIndex((e) => compareInternal(e.ikey, probe) >= 0);
      it.seek(probe);
      if (ge < 0) assert.equal(it.valid, false);
      else assert.deepEqual(it.key(), (model[ge] as ModelEntry).ikey);
      const le = ge < 0 ? model.length - 1 : compareInternal((model[ge] as ModelEntry).ikey, probe) === 0 ? ge : ge - 1;
      it.seekForPrev(probe);
      if (le < 0) assert.equal(it.valid, false);
      else assert.deepEqual(it.key(), (model[le] as ModelEntry).ikey);
    }
  });

  it('returns value copies: changing one does not change the memtable', () => {
    const mem = new Memtable(1);
    const tkey = tableKey(1, new Uint8Array([1, 2, 3]));
    const value = new Uint8Array([9, 9, 9]);
    mem.add(1, Kind.Put, tkey, value);
    value[0] = 0;
    const got = mem.get(tkey, 1);
    assert.deepEqual(got?.value, new Uint8Array([9, 9, 9]));
    (got as { value: Uint8Array }).value[1] = 0;
    assert.deepEqual(mem.get(tkey, 1)?.value, new Uint8Array([9, 9, 9]));
  });
});

function equalTableKey(ikey: Uint8Array, tkey: Uint8Array): boolean {
  const n = ikey.length - TRAILER_SIZE;
  if (n !== tkey.length) return false;
  for (let i = 0; i < n; i++) if (ikey[i] !== tkey[i]) return false;
  return true;
}
