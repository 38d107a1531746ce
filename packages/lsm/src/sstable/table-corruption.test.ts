// No damaged table is ever misread. A small table (several data blocks, some
// lz4-compressed, a filter, range tombstones, properties) has one bit flipped
// at every byte offset in turn; opening it, getting every key and iterating
// it must then throw Corruption with the file and an offset, and everything
// served before that must be right. Every truncation fails to open.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { readWholeFile, testSeed, writeWholeFile } from '@strata/vfs/testing';
import { internalKey, Kind, MAX_SEQ, seqOf, tableKey, tableKeyOf, type SeqNum } from '../keys/internal-key.js';
import type { RangeTombstone } from '../range-del/tombstone.js';
import { BLOCK_TRAILER_SIZE, FOOTER_CHECKED_SIZE, FOOTER_CHECKSUM_SEED, FOOTER_SIZE } from './format.js';
import { sealBlock } from './block-trailer.js';
import { decodeFooter } from './footer.js';
import { buildTable, openTable, type BuiltTable, type TestEntry } from './fixtures.js';

function smallTable(): { entries: TestEntry[]; tombstones: RangeTombstone[] } {
  const entries: TestEntry[] = [];
  for (let i = 0; i < 30; i++) {
    const tk = tableKey(1, new TextEncoder().encode(`key-${String(i).padStart(3, '0')}`));
    // Two versions of every third key; one deletion in five; values compress for even keys.
    if (i % 3 === 0) entries.push({ ikey: internalKey(tk, 200 + i, Kind.Put), value: new TextEncoder().encode(`new-${i}`) });
    const value = i % 2 === 0 ? new TextEncoder().encode(`v${i}`.repeat(12)) : Uint8Array.of(i, 255 - i, i * 7);
    entries.push(i % 5 === 4 ? { ikey: internalKey(tk, 100 + i, Kind.Delete), value: new Uint8Array(0) } : { ikey: internalKey(tk, 100 + i, Kind.Put), value });
  }
  const enc = (s: string): Uint8Array => tableKey(1, new TextEncoder().encode(s));
  const tombstones: RangeTombstone[] = [
    { start: enc('key-005'), end: enc('key-009'), seq: 150 as SeqNum },
    { start: enc('key-005'), end: enc('key-009'), seq: 120 as SeqNum },
    { start: enc('key-020'), end: enc('key-021'), seq: 300 as SeqNum },
  ];
  return { entries, tombstones };
}

function isCorruption(err: unknown, path: string, size: number): boolean {
  const e = err as { code?: unknown; file?: unknown; offset?: unknown };
  if (e.code !== 'Corruption') return false;
  assert.equal(e.file, path);
  assert.ok(typeof e.offset === 'number' && e.offset >= 0 && e.offset <= size, `offset ${String(e.offset)}`);
  return true;
}

/** Opens and verifies the table, checks every get and a full scan against the model; throws whatever the reader throws. */
function readAll(built: BuiltTable, entries: readonly TestEntry[], where: string): void {
  const { reader } = openTable(built.fs, built.path, built.checksum);
  try {
    reader.verify();
    for (const e of entries) {
      const tkey = tableKeyOf(e.ikey);
      const got = reader.get(tkey, seqOf(e.ikey));
      assert.equal(got?.seq, seqOf(e.ikey), where);
      assert.deepEqual(got.value, e.value, where);
    }
    const it = reader.iterator();
    let n = 0;
    for (it.seekToFirst(); it.valid; it.next(), n++) assert.deepEqual(it.key(), entries[n]?.ikey, where);
    assert.equal(n, entries.length, where);
  } finally {
    reader.close();
  }
}

describe('sstable corruption', () => {
  it('a bit flipped at any byte offset is reported as Corruption, never served', async () => {
    const rng = new Rng(testSeed('sstable bit flips'));
    const { entries, tombstones } = smallTable();
    const built = await buildTable(entries, tombstones, { blockSize: 128 });
    const p = built.props;
    assert.ok(p.dataBlocks >= 4 && p.compressedBlocks > 0 && p.uncompressedBlocks > 0 && p.filterBytes > 0, JSON.stringify(p));
    const good = readWholeFile(built.fs, built.path);
    const tkeys = [...new Set(entries.map((e) => Buffer.from(tableKeyOf(e.ikey)).toString('hex')))].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    const newest = (tkey: Uint8Array): TestEntry | undefined => entries.find((e) => Buffer.compare(tableKeyOf(e.ikey), tkey) === 0);

    for (let offset = 0; offset < good.length; offset++) {
      const bad = good.slice();
      const bit = rng.int(8);
      bad[offset] = (bad[offset] as number) ^ (1 << bit);
      writeWholeFile(built.fs, built.path, bad);
      const where = `flip of bit ${bit} at byte ${offset} of ${good.length}`;
      let caught = false;
      try {
        const { reader } = openTable(built.fs, built.path, built.checksum);
        try {
          assert.deepEqual(reader.properties, p, where);
          assert.deepEqual(reader.rangeTombstones(), tombstones, where);
          for (const tkey of tkeys) {
            const want = newest(tkey) as TestEntry;
            const got = reader.get(tkey, MAX_SEQ);
            assert.ok(got !== undefined, where);
            assert.equal(got.seq, seqOf(want.ikey), where);
            assert.deepEqual(got.value, want.value, where);
          }
          const it = reader.iterator();
          let n = 0;
          for (it.seekToFirst(); it.valid; it.next(), n++) {
            assert.deepEqual(it.key(), entries[n]?.ikey, where);
            assert.deepEqual(it.value(), entries[n]?.value, where);
          }
          assert.equal(n, entries.length, where);
        } finally {
          reader.close();
        }
      } catch (err) {
        if (!isCorruption(err, built.path, good.length)) throw err;
        caught = true;
      }
      assert.ok(caught, `${where} went unnoticed`);
    }
  });

  it('every truncation fails to open with Corruption, whether or not the recorded size knows it', async () => {
    const { entries, tombstones } = smallTable();
    const built = await buildTable(entries, tombstones, { blockSize: 128 });
    const good = readWholeFile(built.fs, built.path);
    for (let len = 0; len < good.length; len++) {
      writeWholeFile(built.fs, built.path, good.subarray(0, len));
      for (const size of [len, good.length]) {
        assert.throws(
          () => openTable(built.fs, built.path, built.checksum, { size }),
          (err: unknown) => isCorruption(err, built.path, good.length),
          `truncated to ${len}, size ${size}`,
        );
      }
    }
  });

  it('bytes changed under a valid checksum (a writer bug) are caught: footer at open, index by verify()', async () => {
    const rng = new Rng(testSeed('sstable resealed'));
    const { entries, tombstones } = smallTable();
    const built = await buildTable(entries, tombstones, { blockSize: 128 });
    const good = readWholeFile(built.fs, built.path);
    const footerAt = good.length - FOOTER_SIZE;
    const footer = decodeFooter(good.subarray(footerAt), built.checksum, built.path, footerAt);
    for (let n = 0; n < 300; n++) {
      const bad = good.slice();
      // A footer field other than the checksum and magic, re-signed: the handles no longer tile the file.
      const at = footerAt + rng.int(FOOTER_CHECKED_SIZE);
      bad[at] = (bad[at] as number) ^ (1 << rng.int(8));
      const sum = built.checksum.xxh32(bad.subarray(footerAt, footerAt + FOOTER_CHECKED_SIZE), FOOTER_CHECKSUM_SEED);
      new DataView(bad.buffer).setUint32(footerAt + FOOTER_CHECKED_SIZE, sum, true);
      writeWholeFile(built.fs, built.path, bad);
      assert.throws(() => openTable(built.fs, built.path, built.checksum), (err: unknown) => isCorruption(err, built.path, good.length), `footer byte ${at}`);
    }
    const { offset, size } = footer.index;
    const payload = good.slice(offset, offset + size);
    for (let n = 0; n < 300; n++) {
      // An index payload byte changed and the block re-sealed: verify() or the reads throw Corruption, or all stays right.
      const mutated = payload.slice();
      const at = rng.int(mutated.length);
      mutated[at] = (mutated[at] as number) ^ (1 << rng.int(8));
      const sealed = sealBlock(mutated, 'none', built.checksum).bytes;
      assert.equal(sealed.length, size + BLOCK_TRAILER_SIZE);
      const bad = good.slice();
      bad.set(sealed, offset);
      writeWholeFile(built.fs, built.path, bad);
      try {
        readAll(built, entries, `index byte ${at}`);
      } catch (err) {
        if (!isCorruption(err, built.path, good.length)) throw err;
      }
    }
    // A filter with its bits cleared, re-sealed: it opens, and verify() finds the false negatives.
    const f = footer.filter;
    const cleared = good.slice(f.offset, f.offset + f.size).fill(0, 0, f.size - 1);
    const bad = good.slice();
    bad.set(sealBlock(cleared, 'none', built.checksum).bytes, f.offset);
    writeWholeFile(built.fs, built.path, bad);
    const { reader } = openTable(built.fs, built.path, built.checksum);
    assert.throws(() => reader.verify(), (err: unknown) => isCorruption(err, built.path, good.length));
    reader.close();
  });
});
