import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountingFileSystem, FaultFileSystem, LockHeld, MemFileSystem } from '@strata/vfs';
import { readWholeFile, writeWholeFile } from '@strata/vfs/testing';
import { Corruption, isEngineError } from '../errors.js';
import { b, collectStrings, s } from '../testing/index.js';
import { MemoryEngine } from './memory-engine.js';

const TABLES = ['default'];

async function contents(engine: MemoryEngine): Promise<[string, string][]> {
  return collectStrings(engine.scan('default'));
}

/** A log with three synced batches; returns the file and the offset where each batch's frame starts. */
async function threeBatchLog(): Promise<{ fs: MemFileSystem; data: Uint8Array; starts: number[] }> {
  const fs = new MemFileSystem();
  const starts: number[] = [];
  const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
  for (const k of ['a', 'b', 'c']) {
    starts.push(fs.stat('/db/mem-000001.log').size);
    await engine.write([{ type: 'put', table: 'default', key: b(k), value: b(`value-${k}`) }], { sync: true });
  }
  await engine.close();
  return { fs, data: readWholeFile(fs, '/db/mem-000001.log'), starts };
}

describe('MemoryEngine durable log', () => {
  it('a torn tail cut at every byte keeps exactly the complete batches and is truncated away', async () => {
    const { data, starts } = await threeBatchLog();
    const lastStart = starts[2] as number;
    for (let cut = lastStart; cut < data.length; cut++) {
      const fs = new MemFileSystem();
      fs.mkdir('/db');
      writeWholeFile(fs, '/db/mem-000001.log', data.subarray(0, cut));
      const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
      assert.deepEqual(await contents(engine), [
        ['a', 'value-a'],
        ['b', 'value-b'],
      ], `cut at ${cut}`);
      assert.equal(fs.stat('/db/mem-000001.log').size, lastStart, 'the torn tail is truncated');
      await engine.write([{ type: 'put', table: 'default', key: b('d'), value: b('after') }]);
      await engine.close();
      const again = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
      assert.equal(s(await again.get('default', b('d'))), 'after', 'appends after the truncation are readable');
      await again.close();
    }
  });

  it('a flipped byte anywhere is Corruption, or (in the last record only) a dropped tail; never a wrong value', async () => {
    const { data, starts } = await threeBatchLog();
    const lastStart = starts[2] as number;
    let corruptions = 0;
    for (let i = 0; i < data.length; i++) {
      const fs = new MemFileSystem();
      fs.mkdir('/db');
      const bad = data.slice();
      bad[i] = (bad[i] as number) ^ 0x5a;
      writeWholeFile(fs, '/db/mem-000001.log', bad);
      let engine: MemoryEngine;
      try {
        engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
      } catch (err) {
        assert.ok(err instanceof Corruption, `byte ${i}: expected Corruption, got ${String(err)}`);
        assert.equal(err.file, '/db/mem-000001.log');
        assert.ok(err.offset <= i, `byte ${i}: reported offset ${err.offset} is after the damage`);
        corruptions++;
        continue;
      }
      assert.ok(i >= lastStart, `byte ${i} lies before the last record, yet the log opened`);
      assert.deepEqual(await contents(engine), [
        ['a', 'value-a'],
        ['b', 'value-b'],
      ], `byte ${i}`);
      await engine.close();
    }
    assert.equal(corruptions, lastStart, 'every byte before the last record is detected');
  });

  it('the log is rewritten as a checkpoint once it grows, and the state survives', async () => {
    const fs = new MemFileSystem();
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db', checkpointMinBytes: 2048 } });
    for (let i = 0; i < 300; i++) {
      const key = b(`k${i % 20}`);
      await engine.write([{ type: 'put', table: 'default', key, value: b(`v${i}`) }]);
      if (i % 7 === 0) await engine.write([{ type: 'delete', table: 'default', key: b(`k${(i + 3) % 20}`) }]);
    }
    const logs = fs.list('/db').filter((n) => n.endsWith('.log'));
    assert.equal(logs.length, 1, 'old logs are removed');
    assert.notEqual(logs[0], 'mem-000001.log', 'the log was rewritten');
    assert.ok(fs.stat(`/db/${logs[0] as string}`).size < 20_000, 'the rewritten log stays small');
    const before = await contents(engine);
    await engine.close();
    const again = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db', checkpointMinBytes: 2048 } });
    assert.deepEqual(await contents(again), before);
    await again.close();
  });

  it('an abandoned rewrite (a newer log without a complete checkpoint) is removed and the older log used', async () => {
    const { fs } = await threeBatchLog();
    writeWholeFile(fs, '/db/mem-000002.log', readWholeFile(fs, '/db/mem-000001.log').subarray(0, 20));
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    assert.deepEqual((await contents(engine)).map(([k]) => k), ['a', 'b', 'c']);
    assert.deepEqual(fs.list('/db'), ['LOCK', 'mem-000001.log']);
    await engine.close();
  });

  it('a newer complete log wins and leftover older logs are deleted', async () => {
    const fs = new MemFileSystem();
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db', checkpointMinBytes: 256 } });
    for (let i = 0; i < 40; i++) await engine.write([{ type: 'put', table: 'default', key: b(`k${i}`), value: b('x') }]);
    await engine.close();
    const [current] = fs.list('/db').filter((n) => n.endsWith('.log'));
    assert.ok(current !== undefined && current !== 'mem-000001.log');
    writeWholeFile(fs, '/db/mem-000001.log', new Uint8Array(100)); // a stale leftover
    const again = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db', checkpointMinBytes: 256 } });
    assert.equal((await contents(again)).length, 40);
    assert.deepEqual(fs.list('/db').filter((n) => n.endsWith('.log')), [current]);
    await again.close();
  });

  it('a failed sync puts the engine in fail-stop; acknowledged writes survive the reopen', async () => {
    const mem = new MemFileSystem();
    const fs = new FaultFileSystem(mem, { seed: 1 });
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    await engine.write([{ type: 'put', table: 'default', key: b('ok'), value: b('1') }], { sync: true });
    fs.inject({ ops: ['datasync'], times: 1, errno: 'EIO' });
    await assert.rejects(
      engine.write([{ type: 'put', table: 'default', key: b('failed'), value: b('2') }], { sync: true }),
      (err: unknown) => isEngineError(err, 'IoError'),
    );
    assert.equal(await engine.get('default', b('failed')), undefined, 'a failed write is not applied');
    await assert.rejects(
      engine.write([{ type: 'put', table: 'default', key: b('later'), value: b('3') }]),
      (err: unknown) => isEngineError(err, 'IoError') && /fail-stop/.test(err.message),
      'later writes are refused even though the disk works again',
    );
    assert.equal(s(await engine.get('default', b('ok'))), '1', 'reads go on');
    await engine.close();
    const power = mem.crashClone({ seed: 4, unsynced: 'none' });
    const again = await MemoryEngine.open({ tables: TABLES, storage: { fs: power, dir: '/db' } });
    assert.equal(s(await again.get('default', b('ok'))), '1');
    assert.equal(await again.get('default', b('later')), undefined);
    await again.write([{ type: 'put', table: 'default', key: b('later'), value: b('3') }], { sync: true });
    await again.close();
  });

  it('a short write on a full disk puts the engine in fail-stop; reopening drops the torn record', async () => {
    const mem = new MemFileSystem();
    const fs = new FaultFileSystem(mem, { seed: 3 });
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    await engine.write([{ type: 'put', table: 'default', key: b('a'), value: b('1') }]);
    fs.inject({ ops: ['append'], times: 1, errno: 'ENOSPC', partialWrite: true });
    await assert.rejects(
      engine.write([{ type: 'put', table: 'default', key: b('b'), value: new Uint8Array(500) }]),
      (err: unknown) => isEngineError(err, 'IoError'),
    );
    await assert.rejects(engine.write([{ type: 'put', table: 'default', key: b('c'), value: b('3') }]), (err: unknown) =>
      isEngineError(err, 'IoError'),
    );
    await engine.close();
    const again = await MemoryEngine.open({ tables: TABLES, storage: { fs: mem, dir: '/db' } });
    assert.deepEqual(await contents(again), [['a', '1']]);
    await again.close();
  });

  it('a failed checkpoint rewrite puts the engine in fail-stop and loses nothing', async () => {
    const mem = new MemFileSystem();
    const fs = new FaultFileSystem(mem, { seed: 3 });
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db', checkpointMinBytes: 300 } });
    fs.inject({ ops: ['datasync'], path: /mem-000002\.log$/, errno: 'EIO' });
    let acknowledged = 0;
    for (let i = 0; i < 50; i++) {
      try {
        await engine.write([{ type: 'put', table: 'default', key: b(`k${i}`), value: b('v') }], { sync: true });
        acknowledged++;
      } catch (err) {
        assert.ok(isEngineError(err, 'IoError'));
      }
    }
    assert.ok(acknowledged > 0 && acknowledged < 50, `acknowledged ${acknowledged}`);
    await engine.close();
    for (let seed = 0; seed < 10; seed++) {
      const again = await MemoryEngine.open({ tables: TABLES, storage: { fs: mem.crashClone({ seed }), dir: '/db' } });
      assert.equal((await contents(again)).length, acknowledged, `seed ${seed}`);
      await again.close();
    }
  });

  it('concurrent synced writes share fsyncs (group commit)', async () => {
    const fs = new AccountingFileSystem(new MemFileSystem());
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    fs.stats.reset();
    const writes = [];
    for (let i = 0; i < 64; i++) writes.push(engine.write([{ type: 'put', table: 'default', key: b(`k${i}`), value: b('v') }], { sync: true }));
    await Promise.all(writes);
    const wal = fs.stats.snapshot().byCategory['wal'];
    assert.ok(wal !== undefined);
    assert.ok(wal.syncOps <= 2, `64 concurrent synced writes took ${wal.syncOps} fsyncs`);
    assert.ok(wal.writeOps <= 2, `64 concurrent writes took ${wal.writeOps} appends`);
    await engine.close();
  });

  it('an unsynced write survives a process crash but not necessarily a power loss', async () => {
    const fs = new MemFileSystem();
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    await engine.write([{ type: 'put', table: 'default', key: b('synced'), value: b('1') }], { sync: true });
    await engine.write([{ type: 'put', table: 'default', key: b('unsynced'), value: b('2') }]);
    const afterProcessCrash = await MemoryEngine.open({ tables: TABLES, storage: { fs: fs.crashClone({ seed: 1, kind: 'process' }), dir: '/db' } });
    assert.deepEqual((await contents(afterProcessCrash)).map(([k]) => k), ['synced', 'unsynced']);
    await afterProcessCrash.close();
    const afterPowerLoss = await MemoryEngine.open({ tables: TABLES, storage: { fs: fs.crashClone({ seed: 1, unsynced: 'none' }), dir: '/db' } });
    assert.deepEqual((await contents(afterPowerLoss)).map(([k]) => k), ['synced']);
    await afterPowerLoss.close();
    await engine.close();
  });

  it('a second open of the same directory fails while the first holds the lock', async () => {
    const fs = new MemFileSystem();
    const engine = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    await assert.rejects(MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } }), (err: unknown) => {
      return isEngineError(err, 'IoError') && err.cause instanceof LockHeld;
    });
    await engine.close();
    const again = await MemoryEngine.open({ tables: TABLES, storage: { fs, dir: '/db' } });
    await again.close();
  });

  it('tables: new ones can be added at reopen; one with data cannot be left out', async () => {
    const fs = new MemFileSystem();
    const engine = await MemoryEngine.open({ tables: ['a', 'b'], storage: { fs, dir: '/db' } });
    await engine.write([{ type: 'put', table: 'b', key: b('k'), value: b('v') }]);
    await engine.close();
    await assert.rejects(MemoryEngine.open({ tables: ['a'], storage: { fs, dir: '/db' } }), (err: unknown) =>
      isEngineError(err, 'InvalidArgument') && /"b" has data/.test(err.message),
    );
    const again = await MemoryEngine.open({ tables: ['a', 'b', 'c'], storage: { fs, dir: '/db' } });
    assert.equal(s(await again.get('b', b('k'))), 'v');
    await again.write([{ type: 'put', table: 'c', key: b('k'), value: b('new table') }]);
    await again.close();
  });

  it('bad open options are InvalidArgument', async () => {
    const bad: unknown[] = [
      { tables: [] },
      { tables: ['a', 'a'] },
      { tables: ['has space'] },
      { tables: [''] },
      { tables: 'default' },
      { tables: ['a'], limits: { maxKeySize: 0 } },
      { tables: ['a'], limits: { maxValueSize: 1.5 } },
      { tables: ['a'], storage: { fs: new MemFileSystem(), dir: '' } },
      { tables: ['a'], storage: { fs: new MemFileSystem(), dir: '/db', checkpointMinBytes: -1 } },
      null,
    ];
    for (const options of bad) {
      await assert.rejects(MemoryEngine.open(options as Parameters<typeof MemoryEngine.open>[0]), (err: unknown) =>
        isEngineError(err, 'InvalidArgument'),
        JSON.stringify(options, (_k, v: unknown) => (v instanceof MemFileSystem ? 'fs' : v)),
      );
    }
  });
});
