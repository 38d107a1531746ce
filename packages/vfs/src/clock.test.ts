import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, SystemClock } from './clock.js';

describe('ManualClock', () => {
  it('moves only when advanced, and wakes sleepers in deadline order', async () => {
    const clock = new ManualClock(1_000);
    assert.equal(clock.now(), 1_000);
    assert.equal(clock.monotonic(), 0);
    const woke: string[] = [];
    const late = clock.sleep(50).then(() => woke.push('late'));
    const early = clock.sleep(10).then(() => woke.push('early'));
    await clock.sleep(0);
    assert.equal(clock.pendingSleepers, 2);
    clock.advance(9);
    await Promise.resolve();
    assert.deepEqual(woke, []);
    clock.advance(1);
    await early;
    assert.deepEqual(woke, ['early']);
    clock.advance(100);
    await late;
    assert.deepEqual(woke, ['early', 'late']);
    assert.equal(clock.now(), 1_110);
    assert.equal(clock.monotonic(), 110);
    assert.throws(() => clock.advance(-1), RangeError);
  });
});

describe('SystemClock', () => {
  it('tells real time, monotonic time never goes backwards, and sleep waits', async () => {
    const clock = new SystemClock();
    assert.ok(Math.abs(clock.now() - Date.now()) < 1_000);
    const t0 = clock.monotonic();
    await clock.sleep(5);
    assert.ok(clock.monotonic() - t0 >= 4);
  });
});
