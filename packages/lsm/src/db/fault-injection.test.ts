// I/O faults in every write-side file: WAL appends and syncs, SSTable writes
// during flush and compaction, manifest and CURRENT updates. The engine must
// fail stop (or carry on, for faults it can survive) and, after a restart,
// hold every acknowledged write: the state equals the model after all
// acknowledged writes plus some prefix of the writes that were refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultFileSystem, MemFileSystem, Rng, type FaultRule, type FileSystem } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { isEngineError, type WriteOp } from '@strata/engine';
import { dumpEngine, dumpsAfterPrefixes, ModelStore, randomWriteBatch, type BatchShape } from '@strata/engine/testing';
import { LsmEngine } from './lsm-engine.js';
import type { LsmOptions } from './options.js';

const TABLES = ['t0', 't1'];
const tiny: Partial<LsmOptions> = {
  writeBufferSize: 2048,
  targetFileSize: 1024,
  blockSize: 256,
  l0CompactionTrigger: 2,
  compaction: { style: 'leveled', fanout: 4, levelBaseBytes: 2048 },
};

const SHAPE: BatchShape = { tables: TABLES, ops: [1, 4], keys: 40, value: [1, 60], put: 0.7, delete: 0.2 };

async function dump(db: LsmEngine): Promise<string> {
  return JSON.stringify(await dumpEngine(db, TABLES));
}

const targets: { name: string; rule: (rng: Rng) => FaultRule }[] = [
  { name: 'WAL append', rule: (rng) => ({ ops: ['append'], path: /\.log$/, after: rng.int(200), partialWrite: rng.chance(0.5) }) },
  { name: 'WAL sync', rule: (rng) => ({ ops: ['datasync', 'sync'], path: /\.log$/, after: rng.int(30) }) },
  { name: 'WAL create', rule: (rng) => ({ ops: ['create'], path: /\.log$/, after: rng.int(5) }) },
  { name: 'SSTable write (flush and compaction)', rule: (rng) => ({ ops: ['append'], path: /\.sst$/, after: rng.int(40), errno: rng.pick(['EIO', 'ENOSPC']) }) },
  { name: 'SSTable sync', rule: (rng) => ({ ops: ['datasync', 'sync'], path: /\.sst$/, after: rng.int(20) }) },
  { name: 'manifest write', rule: (rng) => ({ ops: ['append', 'sync'], path: /MANIFEST/, after: rng.int(20) }) },
  { name: 'CURRENT switch', rule: (rng) => ({ ops: ['create', 'rename', 'syncDir'], path: /CURRENT/, after: rng.int(3) }) },
  { name: 'directory sync', rule: (rng) => ({ ops: ['syncDir'], after: rng.int(10) }) },
];

describe('LsmEngine under injected I/O faults', () => {
  for (const target of targets) {
    it(`keeps every acknowledged write through faults in ${target.name}`, async () => {
      const seed = testSeed(`fault injection (${target.name})`);
      const rng = new Rng(seed);
      for (let round = 0; round < 25; round++) {
        const mem = new MemFileSystem();
        const ffs = new FaultFileSystem(mem, { seed: rng.u32() });
        const open = (fs: FileSystem): Promise<LsmEngine> => LsmEngine.open({ ...tiny, tables: TABLES, fs, dir: '/db' });
        const model = new ModelStore(TABLES);
        const refused: WriteOp[][] = [];
        let db = await open(ffs);
        const fault = ffs.inject(target.rule(rng));
        let failure: unknown;
        for (let i = 0; i < 150; i++) {
          const ops = randomWriteBatch(rng, SHAPE);
          try {
            if (rng.chance(0.1)) await db.flush();
            await db.write(ops, { sync: rng.chance(0.3) });
            assert.equal(refused.length, 0, `write ${i} succeeded after an earlier write was refused (seed ${seed})`);
            model.apply(ops);
          } catch (err) {
            assert.ok(isEngineError(err), `a fault surfaced as ${String(err)} (seed ${seed})`);
            failure ??= err;
            refused.push(ops);
          }
        }
        if (refused.length > 0) {
          // Fail-stop: the same error for every later write.
          await assert.rejects(db.write([{ type: 'put', table: 't0', key: new Uint8Array([1]), value: new Uint8Array([1]) }]), (err: unknown) => {
            assert.ok(isEngineError(err));
            return true;
          });
        }
        try {
          await db.close();
        } catch (err) {
          assert.ok(isEngineError(err), `close failed with ${String(err)} (seed ${seed})`);
        }
        fault.remove();
        // Restart (the process died; every byte the OS was given is there).
        db = await open(mem);
        const got = await dump(db);
        const candidates = dumpsAfterPrefixes(model, refused);
        assert.ok(
          candidates.includes(got),
          `seed ${seed} round ${round}: state after restart is not the acknowledged state plus a prefix of refused writes (fault fired ${fault.injected}x, ${refused.length} refused)`,
        );
        await db.close();
      }
    });
  }

  it('a failed WAL sync refuses every later write with the original error until reopened', async () => {
    const mem = new MemFileSystem();
    const ffs = new FaultFileSystem(mem, { seed: 1 });
    const db = await LsmEngine.open({ tables: ['t'], fs: ffs, dir: '/db' });
    const k = new TextEncoder().encode('k');
    await db.write([{ type: 'put', table: 't', key: k, value: k }], { sync: true });
    ffs.inject({ ops: ['datasync'], path: /\.log$/, times: 1 });
    const first = await db.write([{ type: 'put', table: 't', key: k, value: new Uint8Array([2]) }], { sync: true }).then(
      () => assert.fail('the sync should fail'),
      (err: unknown) => err,
    );
    assert.ok(isEngineError(first, 'IoError'));
    // The fault fired once; later writes still fail, with the same error.
    await assert.rejects(db.write([{ type: 'put', table: 't', key: k, value: k }]), (err: unknown) => err === first);
    assert.deepEqual(await db.get('t', k), k, 'reads still work and do not see the failed write');
    await db.close().catch(() => undefined);
    const again = await LsmEngine.open({ tables: ['t'], fs: mem, dir: '/db' });
    await again.write([{ type: 'put', table: 't', key: k, value: new Uint8Array([3]) }], { sync: true });
    assert.deepEqual(await again.get('t', k), new Uint8Array([3]));
    await again.close();
  });
});
