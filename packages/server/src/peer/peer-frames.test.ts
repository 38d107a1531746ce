// The hello and snapshot chunk frames: round trips, and Corruption for every
// cut and every flipped bit tried (lowest and highest of each byte).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corruption, InvalidArgument, loadChecksum } from '@strata/engine';
import { decodeChunk, decodeHello, encodeChunk, encodeHello, type Hello } from './peer-frames.js';

const checksum = await loadChecksum();

function eachDamage(frame: Uint8Array, check: (damaged: Uint8Array, what: string) => void): void {
  for (let n = 0; n < frame.length; n++) check(frame.subarray(0, n), `cut at ${n}`);
  for (let i = 0; i < frame.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const d = new Uint8Array(frame);
      d[i] = (d[i] as number) ^ bit;
      check(d, `bit ${bit} of byte ${i}`);
    }
  }
}

describe('peer frames', () => {
  it('a hello round-trips, with the largest cluster id and node ids', () => {
    const hellos: Hello[] = [
      { kind: 'stream', clusterId: 0n, from: 1, to: 2 },
      { kind: 'snapshot', clusterId: (1n << 64n) - 1n, from: Number.MAX_SAFE_INTEGER, to: 300 },
    ];
    for (const h of hellos) assert.deepStrictEqual(decodeHello(encodeHello(h, checksum), checksum), h);
  });

  it('a damaged hello raises Corruption', () => {
    const frame = encodeHello({ kind: 'stream', clusterId: 0xdeadbeefn, from: 3, to: 4 }, checksum);
    eachDamage(frame, (d, what) => assert.throws(() => decodeHello(d, checksum), Corruption, what));
  });

  it('a hello with a bad field is not encoded', () => {
    assert.throws(() => encodeHello({ kind: 'stream', clusterId: 1n << 64n, from: 1, to: 2 }, checksum), InvalidArgument);
    assert.throws(() => encodeHello({ kind: 'stream', clusterId: 1n, from: 0, to: 2 }, checksum), InvalidArgument);
    assert.throws(() => encodeHello({ kind: 'stream', clusterId: 1n, from: 1, to: 1.5 }, checksum), InvalidArgument);
  });

  it('a chunk round-trips as a view, and a damaged one raises Corruption', () => {
    const data = new Uint8Array(Buffer.from('snapshot bytes'));
    const frame = encodeChunk(data, checksum);
    const out = decodeChunk(frame, checksum);
    assert.deepStrictEqual(out, data);
    assert.equal(out.buffer, frame.buffer);
    assert.deepStrictEqual(decodeChunk(encodeChunk(new Uint8Array(0), checksum), checksum), new Uint8Array(0));
    eachDamage(frame, (d, what) => {
      // A cut chunk can only check out if it is the 4-byte checksum of an empty chunk, which this is not.
      assert.throws(() => decodeChunk(d, checksum), Corruption, what);
    });
  });
});
