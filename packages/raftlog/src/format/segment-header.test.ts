// Segment headers: a good one checks out, a zeroed or cut one reads as an
// interrupted creation, and any single flipped bit is Corruption.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corruption, loadChecksum } from '@strata/engine';
import { SEGMENT_HEADER_SIZE } from './format.js';
import { checkSegmentHeader, encodeSegmentHeader } from './segment-header.js';

const checksum = await loadChecksum();

describe('segment headers', () => {
  it('round-trips the segment number, including numbers past 2^32', () => {
    for (const n of [1, 2 ** 32 + 5, 2 ** 52]) assert.equal(checkSegmentHeader(encodeSegmentHeader(n, checksum), n, checksum, 'f'), 'ok');
  });

  it('a header of zeros, whole or cut, is an interrupted creation; garbage cut short is Corruption', () => {
    assert.equal(checkSegmentHeader(new Uint8Array(0), 1, checksum, 'f'), 'incomplete');
    assert.equal(checkSegmentHeader(new Uint8Array(10), 1, checksum, 'f'), 'incomplete');
    assert.equal(checkSegmentHeader(new Uint8Array(SEGMENT_HEADER_SIZE + 100), 1, checksum, 'f'), 'incomplete');
    assert.throws(() => checkSegmentHeader(encodeSegmentHeader(1, checksum).subarray(0, 10), 1, checksum, 'f'), Corruption);
  });

  it('every flipped bit, and a header for another segment number, is Corruption', () => {
    const good = encodeSegmentHeader(42, checksum);
    for (let bit = 0; bit < SEGMENT_HEADER_SIZE * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.throws(() => checkSegmentHeader(bad, 42, checksum, 'f'), Corruption, `bit ${bit}`);
    }
    assert.throws(() => checkSegmentHeader(good, 43, checksum, 'f'), /says number 42, the file name 43/);
  });
});
