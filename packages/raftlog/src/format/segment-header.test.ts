// Segment headers: a good one checks out, a zeroed or cut one reads as an
// interrupted creation, and any single flipped bit is Corruption.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Corruption, loadChecksum } from '@strata/engine';
import { SEGMENT_HEADER_SIZE } from './format.js';
import { checkSegmentHeader, encodeSegmentHeader } from './segment-header.js';

const checksum = await loadChecksum();

describe('segment headers', () => {
  it('round-trips the segment number and purge floor; refuses numbers past the u32 floor field', () => {
    for (const [n, floor] of [[1, 1], [77, 30], [2 ** 32 - 1, 2 ** 32 - 1]] as const) {
      assert.deepEqual(checkSegmentHeader(encodeSegmentHeader(n, floor, checksum), n, checksum, 'f'), { floor });
    }
    assert.throws(() => encodeSegmentHeader(2 ** 32, 1, checksum), RangeError);
    assert.throws(() => encodeSegmentHeader(5, 6, checksum), RangeError);
  });

  it('a header of zeros, or one cut short at any byte, is an interrupted creation', () => {
    assert.equal(checkSegmentHeader(new Uint8Array(0), 1, checksum, 'f'), 'incomplete');
    assert.equal(checkSegmentHeader(new Uint8Array(SEGMENT_HEADER_SIZE + 100), 1, checksum, 'f'), 'incomplete');
    const good = encodeSegmentHeader(1, 1, checksum);
    for (let cut = 0; cut < SEGMENT_HEADER_SIZE; cut++) assert.equal(checkSegmentHeader(good.subarray(0, cut), 1, checksum, 'f'), 'incomplete', `cut at ${cut}`);
  });

  it('every flipped bit, and a header for another segment number, is Corruption', () => {
    const good = encodeSegmentHeader(42, 9, checksum);
    for (let bit = 0; bit < SEGMENT_HEADER_SIZE * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.throws(() => checkSegmentHeader(bad, 42, checksum, 'f'), Corruption, `bit ${bit}`);
    }
    assert.throws(() => checkSegmentHeader(good, 43, checksum, 'f'), /says number 42, the file name 43/);
  });
});
