// Damage at rest: flipping any single byte of a small, cleanly closed data
// file either leaves every read correct (the byte was in a free page, or in
// one of the three identical meta slots) or makes the paths that read it
// fail with Corruption. Never a wrong value, never another kind of error.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError, toHex } from '@strata/engine';
import { collect } from '@strata/engine/testing';
import { MemFileSystem } from '@strata/vfs';
import { BtreeEngine } from './btree-engine.js';

const enc = new TextEncoder();

describe('BtreeEngine on a damaged file', () => {
  it('every flipped byte of a small file reads correctly or raises Corruption', async () => {
    const fs = new MemFileSystem();
    const db = await BtreeEngine.open({ fs, dir: '/db', tables: ['t'], pageSize: 1024 });
    const want = new Map<string, string>();
    const ops = [];
    for (let i = 0; i < 40; i++) {
      const key = enc.encode(`key${String(i).padStart(3, '0')}`);
      // A few values large enough for overflow runs.
      const value = new Uint8Array(i === 7 ? 1500 : 30).fill(i);
      ops.push({ type: 'put' as const, table: 't', key, value });
      want.set(toHex(key), toHex(value));
    }
    await db.write(ops);
    // Churn, so the file also holds free pages and stale copies.
    await db.write([{ type: 'deleteRange', table: 't', start: enc.encode('key010'), end: enc.encode('key016') }], { sync: true });
    for (let i = 10; i < 16; i++) want.delete(toHex(enc.encode(`key${String(i).padStart(3, '0')}`)));
    await db.close();
    const original = fs.open('/db/data.btree').read(0, 1 << 20);
    assert.ok(original.length >= 6 * 1024, `the file is only ${original.length} bytes`);

    let corrupt = 0;
    let clean = 0;
    for (let at = 0; at < original.length; at++) {
      const damaged = new MemFileSystem();
      damaged.mkdir('/db');
      const bytes = original.slice();
      bytes[at] = (bytes[at] as number) ^ 0x5a;
      const f = damaged.create('/db/data.btree');
      f.append(bytes);
      f.close();
      try {
        const re = await BtreeEngine.open({ fs: damaged, dir: '/db', tables: ['t'] });
        try {
          const got = new Map((await collect(re.scan('t'))).map((e) => [toHex(e.key), toHex(e.value)]));
          assert.deepEqual(got, want, `byte ${at}: a scan returned wrong data`);
          for (const [k, v] of want) {
            const value = await re.get('t', Buffer.from(k, 'hex'));
            assert.equal(value === undefined ? undefined : toHex(value), v, `byte ${at}: get returned wrong data`);
          }
          clean++;
        } finally {
          await re.close().catch(() => undefined);
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(isEngineError(err, 'Corruption'), `byte ${at}: ${String(err)}`);
        corrupt++;
      }
    }
    assert.ok(corrupt > 0 && clean > 0, `${corrupt} flips raised Corruption, ${clean} read clean`);
  });
});
