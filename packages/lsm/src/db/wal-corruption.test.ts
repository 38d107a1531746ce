// Damage to the WAL: a flipped bit in any completed record makes recovery
// raise Corruption (with the file and offset); it never yields a wrong
// value. Damage inside the last record cannot be told from a torn append, so
// recovery drops that record and keeps everything before it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemFileSystem } from '@strata/vfs';
import { readWholeFile } from '@strata/vfs/testing';
import { isEngineError, type Corruption } from '@strata/engine';
import { collectStrings } from '@strata/engine/testing';
import { LsmEngine } from './lsm-engine.js';

const enc = new TextEncoder();

describe('LsmEngine WAL corruption', () => {
  it('a flipped bit anywhere in the WAL is Corruption, or (in the last record) a dropped tail, never a wrong value', async () => {
    const fs = new MemFileSystem();
    const db = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
    const written: [string, string][] = [];
    for (let i = 0; i < 6; i++) {
      const key = `key${i}`;
      const value = `value-${i}-${'x'.repeat(i * 3)}`;
      await db.write([{ type: 'put', table: 't', key: enc.encode(key), value: enc.encode(value) }]);
      written.push([key, value]);
    }
    await db.close();
    const wal = fs.list('/db').find((n) => n.endsWith('.log'));
    assert.ok(wal !== undefined, 'the writes are still only in the WAL');
    const path = `/db/${wal}`;
    const bytes = readWholeFile(fs, path);
    assert.ok(bytes.length > 0);
    // Offsets of frame starts: each record is one batch of one put.
    const lastRecordStart = findLastFrameStart(bytes);
    let corruptions = 0;
    let droppedTails = 0;
    for (let offset = 0; offset < bytes.length; offset++) {
      const copy = fs.crashClone({ seed: 1, kind: 'process' });
      const f = copy.open(path, { writable: true });
      const flipped = new Uint8Array([(bytes[offset] as number) ^ (1 << offset % 8)]);
      f.writeAt(flipped, offset);
      f.close();
      try {
        const reopened = await LsmEngine.open({ tables: ['t'], fs: copy, dir: '/db' });
        const got = await collectStrings(reopened.scan('t'));
        await reopened.close();
        assert.ok(offset >= lastRecordStart, `a flip at offset ${offset}, before the last record, was not detected`);
        assert.deepEqual(got, written.slice(0, -1), `a flip at ${offset} in the last record must drop exactly that record`);
        droppedTails++;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(isEngineError(err, 'Corruption'), `a flip at ${offset} raised ${String(err)}`);
        const c = err as Corruption;
        assert.equal(c.file, path);
        assert.ok(c.offset >= 0 && c.offset <= bytes.length);
        corruptions++;
      }
    }
    assert.equal(corruptions + droppedTails, bytes.length);
    assert.ok(corruptions > 0 && droppedTails > 0);
  });
});

/** Offset of the last record frame (length-prefixed frames, 12-byte headers). */
function findLastFrameStart(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 0;
  let last = 0;
  while (pos < bytes.length) {
    last = pos;
    pos += 12 + view.getUint32(pos, true);
  }
  return last;
}
