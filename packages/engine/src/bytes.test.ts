// Byte helpers: copyOut returns independent copies of every length (slab
// views up to 1 KiB, own buffers above), rolls over to fresh slabs, and a
// copy transferred to another thread does not detach the copies beside it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { copyBytes, copyBytesVia, copyOut } from './bytes.js';

describe('copyOut', () => {
  it('copies every length exactly, and copies stay independent of the source and of each other', () => {
    const rng = new Rng(testSeed('copyOut lengths'));
    const src = rng.bytes(4096);
    const copies: { at: number; copy: Uint8Array }[] = [];
    for (let n = 0; n <= 1100; n++) {
      const at = rng.int(4096 - n + 1);
      const copy = copyOut(src, at, at + n);
      assert.equal(copy.length, n);
      assert.deepEqual(copy, src.subarray(at, at + n));
      copies.push({ at, copy });
    }
    // Scribbling over every copy changes neither the source nor any other copy.
    const before = src.slice();
    for (const { copy } of copies) copy.fill(0xee);
    assert.deepEqual(src, before);
    for (const { copy } of copies) assert.ok(copy.every((b) => b === 0xee));
  });

  it('copies through a DataView of the source the same as without', () => {
    const rng = new Rng(testSeed('copyOut views'));
    const backing = rng.bytes(3000);
    const src = backing.subarray(100, 2900);
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let n = 0; n <= 1100; n += rng.range(1, 9)) {
      const at = rng.int(src.length - n + 1);
      assert.deepEqual(copyOut(src, at, at + n, view), src.subarray(at, at + n));
    }
  });

  it('short copies share slabs, long ones get their own buffer', () => {
    const src = new Uint8Array(2048).fill(3);
    const a = copyOut(src, 0, 100);
    const b = copyOut(src, 0, 100);
    assert.equal(a.buffer.byteLength, 8192);
    assert.ok(a.buffer === b.buffer || b.byteOffset === 0, 'consecutive short copies share a slab unless it rolled over');
    const long = copyOut(src, 0, 2000);
    assert.equal(long.buffer.byteLength, 2000);
  });

  it('a transferred copy detaches nothing: the other copies and later ones stay intact', () => {
    const src = Uint8Array.from({ length: 64 }, (_, i) => i);
    const a = copyOut(src, 0, 32);
    const b = copyOut(src, 32, 64);
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(b, [b.buffer as ArrayBuffer]);
      structuredClone(a, { transfer: [a.buffer as ArrayBuffer] });
    } finally {
      port1.close();
      port2.close();
    }
    assert.deepEqual(a, src.subarray(0, 32));
    assert.deepEqual(b, src.subarray(32, 64));
    assert.deepEqual(copyOut(src, 8, 24), src.subarray(8, 24));
  });
});

describe('copyBytes', () => {
  it('copies short and long runs to any offset, with or without DataViews', () => {
    const backing = Uint8Array.from({ length: 240 }, (_, i) => i);
    const src = backing.subarray(40); // a view at an offset: the DataView must cover exactly it
    const srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 99, 100, 101, 102, 103, 200]) {
      for (const via of [false, true]) {
        const dst = new Uint8Array(260);
        if (via) copyBytesVia(dst, new DataView(dst.buffer), 7, src, srcView, 200 - n, n);
        else copyBytes(dst, 7, src, 200 - n, n);
        assert.deepEqual(dst.subarray(7, 7 + n), src.subarray(200 - n));
        assert.equal(dst[6], 0);
        assert.equal(dst[7 + n], 0);
      }
    }
  });
});
