// Segment files: frames written are scanned back; a tail cut at every byte
// of the last frame keeps exactly the complete frames; damage before the last
// frame is corruption; one frame reads back by offset, checked.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corruption, loadChecksum, RECORD_HEADER_SIZE } from '@strata/engine';
import { MemFileSystem, Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { SEGMENT_HEADER_SIZE } from '../format/format.js';
import { listSegments, readFrame, scanSegment, segmentName, SegmentWriter } from './segment.js';

const checksum = await loadChecksum();
const DIR = '/log';

/** `payload` after room for a frame header, as SegmentWriter.appendFrame takes it. */
function framed(payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(RECORD_HEADER_SIZE + payload.length);
  f.set(payload, RECORD_HEADER_SIZE);
  return f;
}

function fill(fs: MemFileSystem, rng: Rng, frames: number): { payloads: Uint8Array[]; offsets: number[] } {
  fs.mkdir(DIR, { recursive: true });
  const w = SegmentWriter.create(fs, DIR, 3, 1, checksum);
  const payloads: Uint8Array[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < frames; i++) {
    const p = rng.bytes(rng.range(1, 200));
    payloads.push(p);
    offsets.push(w.appendFrame(framed(p), checksum));
  }
  w.close();
  return { payloads, offsets };
}

function cutTo(fs: MemFileSystem, size: number): void {
  const path = `${DIR}/${segmentName(3)}`;
  const f = fs.open(path, { writable: true });
  f.truncate(size);
  f.close();
}

describe('segment files', () => {
  it('scan back every frame written, in order, and list by number', () => {
    const fs = new MemFileSystem();
    const { payloads, offsets } = fill(fs, new Rng(testSeed('raftlog segment scan')), 50);
    fs.create(`${DIR}/notes.txt`).close();
    assert.deepEqual(listSegments(fs, DIR), [3]);
    const s = scanSegment(fs, DIR, 3, checksum);
    assert.equal(s.tail.kind, 'clean');
    assert.deepEqual(s.frames.map((f) => f.offset), offsets);
    assert.deepEqual(s.frames.map((f) => [...f.payload]), payloads.map((p) => [...p]));
  });

  it('a tail cut at every byte of the last frame keeps exactly the complete frames', () => {
    const rng = new Rng(testSeed('raftlog segment torn tail'));
    const fs = new MemFileSystem();
    const { payloads, offsets } = fill(fs, rng, 6);
    const lastStart = offsets[5] as number;
    const full = fs.stat(`${DIR}/${segmentName(3)}`).size;
    for (let cut = lastStart; cut < full; cut++) {
      const copy = fs.crashClone({ kind: 'process', seed: 1 });
      cutTo(copy, cut);
      const s = scanSegment(copy, DIR, 3, checksum);
      assert.equal(s.frames.length, 5, `cut at ${cut}`);
      assert.deepEqual(s.frames.map((f) => [...f.payload]), payloads.slice(0, 5).map((p) => [...p]));
      assert.equal(s.end, lastStart);
      assert.equal(s.tail.kind, cut === lastStart ? 'clean' : 'torn', `cut at ${cut}`);
      // Reopening cuts the torn bytes, and appends continue after the complete frames.
      const w = SegmentWriter.reopen(copy, DIR, 3, s.end);
      w.appendFrame(framed(Uint8Array.of(1, 2, 3)), checksum);
      w.close();
      const again = scanSegment(copy, DIR, 3, checksum);
      assert.equal(again.tail.kind, 'clean');
      assert.deepEqual([...(again.frames[5]?.payload ?? [])], [1, 2, 3]);
    }
  });

  it('a flipped byte before the last frame is corruption; reading that frame by offset is Corruption', () => {
    const rng = new Rng(testSeed('raftlog segment corruption'));
    for (let round = 0; round < 20; round++) {
      const fs = new MemFileSystem();
      const { offsets } = fill(fs, rng, 8);
      const victim = rng.range(0, 6);
      const at = rng.range(offsets[victim] as number, offsets[victim + 1] as number);
      const path = `${DIR}/${segmentName(3)}`;
      const f = fs.open(path, { writable: true });
      const byte = f.read(at, 1);
      f.writeAt(Uint8Array.of((byte[0] as number) ^ (1 << rng.int(8))), at);
      const s = scanSegment(fs, DIR, 3, checksum);
      assert.equal(s.tail.kind, 'corrupt', `round ${round}: byte ${at} in frame ${victim}`);
      assert.equal(s.frames.length, victim);
      assert.throws(() => readFrame(f, path, offsets[victim] as number, checksum), Corruption);
      f.close();
    }
  });

  it('reads one frame back by offset', () => {
    const fs = new MemFileSystem();
    const { payloads, offsets } = fill(fs, new Rng(5), 10);
    const path = `${DIR}/${segmentName(3)}`;
    const f = fs.open(path);
    for (let i = 0; i < 10; i++) assert.deepEqual([...readFrame(f, path, offsets[i] as number, checksum)], [...(payloads[i] as Uint8Array)]);
    f.close();
  });

  it('a segment whose header a crash never wrote is not started; a bad header is Corruption', () => {
    const fs = new MemFileSystem();
    fs.mkdir(DIR, { recursive: true });
    fs.create(`${DIR}/${segmentName(4)}`).close();
    assert.equal(scanSegment(fs, DIR, 4, checksum).started, false);
    const f = fs.create(`${DIR}/${segmentName(5)}`);
    f.append(new Uint8Array(SEGMENT_HEADER_SIZE).fill(7));
    f.close();
    assert.throws(() => scanSegment(fs, DIR, 5, checksum), Corruption);
  });
});
