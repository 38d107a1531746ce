// I/O faults in the data file: failed or short page writes, failed syncs. The
// engine fails stop, and after a restart (the process died; every byte the OS
// was given is there) it holds every acknowledged write: the state equals the
// model after all acknowledged batches plus some prefix of the refused ones.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError, type WriteOp } from '@strata/engine';
import { collectStrings, dumpEngine, dumpsAfterPrefixes, ModelStore, randomWriteBatch, type BatchShape } from '@strata/engine/testing';
import { FaultFileSystem, MemFileSystem, Rng, type FaultRule, type FileSystem } from '@strata/vfs';
import { interceptFiles, testSeed } from '@strata/vfs/testing';
import { BtreeEngine } from './btree-engine.js';

const TABLES = ['t0', 't1'];

const SHAPE: BatchShape = { tables: TABLES, ops: [1, 8], keys: 200, value: [1, 100], large: { chance: 0.05, value: [500, 2000] }, put: 0.75, delete: 0.2 };

async function dump(db: BtreeEngine): Promise<string> {
  return JSON.stringify(await dumpEngine(db, TABLES));
}

const targets: { name: string; rule: (rng: Rng) => FaultRule }[] = [
  { name: 'page writes', rule: (rng) => ({ ops: ['writeAt'], path: /\.btree$/, after: rng.int(300), partialWrite: rng.chance(0.7), errno: rng.pick(['EIO', 'ENOSPC']) }) },
  { name: 'syncs', rule: (rng) => ({ ops: ['datasync', 'sync'], path: /\.btree$/, after: rng.int(30) }) },
];

describe('BtreeEngine under injected I/O faults', () => {
  for (const target of targets) {
    it(`keeps every acknowledged write through faults in ${target.name}`, async () => {
      const seed = testSeed(`btree fault injection (${target.name})`);
      const rng = new Rng(seed);
      let fired = 0;
      for (let round = 0; round < 30; round++) {
        const mem = new MemFileSystem();
        const ffs = new FaultFileSystem(mem, { seed: rng.u32() });
        const open = (fs: FileSystem): Promise<BtreeEngine> => BtreeEngine.open({ tables: TABLES, fs, dir: '/db', pageSize: 1024, syncEveryBytes: 16 * 1024 });
        const model = new ModelStore(TABLES);
        const refused: WriteOp[][] = [];
        let db = await open(ffs);
        const fault = ffs.inject(target.rule(rng));
        for (let i = 0; i < 120; i++) {
          const ops = randomWriteBatch(rng, SHAPE);
          try {
            await db.write(ops, { sync: rng.chance(0.2) });
            assert.equal(refused.length, 0, `write ${i} succeeded after an earlier write was refused (seed ${seed})`);
            model.apply(ops);
          } catch (err) {
            assert.ok(isEngineError(err, 'IoError'), `a fault surfaced as ${String(err)} (seed ${seed})`);
            refused.push(ops);
          }
        }
        if (refused.length > 0) {
          fired++;
          // Fail-stop: later writes are refused with the original error, reads still work.
          const first = await db.write([{ type: 'put', table: 't0', key: new Uint8Array([1]), value: new Uint8Array([1]) }]).catch((err: unknown) => err);
          assert.ok(isEngineError(first, 'IoError'));
          assert.equal(await dump(db), JSON.stringify(model.dump()), `seed ${seed} round ${round}: reads after the failure do not show the acknowledged state`);
        }
        await db.close().catch((err: unknown) => assert.ok(isEngineError(err), `close failed with ${String(err)}`));
        fault.remove();
        db = await open(mem);
        const got = await dump(db);
        const candidates = dumpsAfterPrefixes(model, refused);
        assert.ok(candidates.includes(got), `seed ${seed} round ${round}: after restart the state is not the acknowledged state plus a prefix of refused writes (${refused.length} refused)`);
        await db.verify();
        await db.close();
      }
      assert.ok(fired >= 10, `the fault fired in only ${fired} of 30 rounds (seed ${seed})`);
    });
  }

  it('a meta write torn by an I/O error loses no acknowledged write, synced or not', async () => {
    // Tear the n-th meta write: a prefix of the page reaches the file, then EIO.
    let metaWrites = 0;
    let tearAt = -1;
    const mem = new MemFileSystem();
    const fs = interceptFiles(mem, (f) => ({
      writeAt: (data: Uint8Array, position: number): void => {
        if (f.path.endsWith('.btree') && position < 3 * 1024 && data.length === 1024 && ++metaWrites === tearAt) {
          f.writeAt(data.subarray(0, 40), position);
          throw new Error('EIO: injected torn meta write');
        }
        f.writeAt(data, position);
      },
    }));
    const enc = new TextEncoder();
    const put = (k: string): WriteOp => ({ type: 'put', table: 't0', key: enc.encode(k), value: enc.encode(`v-${k}`) });
    const db = await BtreeEngine.open({ tables: TABLES, fs, dir: '/db', pageSize: 1024 });
    metaWrites = 0;
    tearAt = 4;
    await db.write([put('a')], { sync: true });
    await db.write([put('b')]);
    await db.write([put('c')]);
    await assert.rejects(db.write([put('d')]), (err: unknown) => isEngineError(err, 'IoError'));
    await db.close().catch(() => undefined);
    const again = await BtreeEngine.open({ tables: TABLES, fs: mem, dir: '/db' });
    assert.deepEqual(await collectStrings(again.scan('t0')), [
      ['a', 'v-a'],
      ['b', 'v-b'],
      ['c', 'v-c'],
    ]);
    await again.close();
  });
});
