import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultFileSystem } from '../fault/fault-file-system.js';
import { MemFileSystem } from '../mem/mem-file-system.js';
import { describeFileSystem } from '../testing/index.js';
import { AccountingFileSystem } from './accounting-file-system.js';
import { defaultClassifier } from './classify.js';
import { diffCounters } from './io-stats.js';

describeFileSystem('AccountingFileSystem over MemFileSystem', () => {
  const mem = new MemFileSystem();
  mem.mkdir('/work');
  return { fs: new AccountingFileSystem(mem), root: '/work', cleanup: () => undefined };
});

describe('AccountingFileSystem', () => {
  it('counts bytes and operations read, written and synced per category', async () => {
    const fs = new AccountingFileSystem(new MemFileSystem());
    const wal = fs.create('/000001.wal');
    wal.append(new Uint8Array(100));
    wal.append(new Uint8Array(50));
    await wal.datasync();
    wal.append(new Uint8Array(10));
    await wal.sync();
    const sst = fs.create('/000002.sst');
    sst.writeAt(new Uint8Array(4096), 0);
    sst.close();
    const r = fs.open('/000002.sst');
    r.read(0, 1000);
    r.read(4000, 1000); // short: 96 bytes
    r.readInto(new Uint8Array(10), 0);
    fs.rename('/000002.sst', '/000003.sst');
    fs.remove('/000001.wal');
    await fs.syncDir('/');

    const snap = fs.stats.snapshot();
    assert.deepEqual(Object.keys(snap.byCategory), ['dir', 'sst', 'wal']);
    const w = snap.byCategory['wal'];
    const s = snap.byCategory['sst'];
    assert.ok(w !== undefined && s !== undefined);
    assert.equal(w.writeOps, 3);
    assert.equal(w.writeBytes, 160);
    assert.equal(w.syncOps, 2);
    assert.equal(w.syncBytes, 160);
    assert.equal(w.createOps, 1);
    assert.equal(w.removeOps, 1);
    assert.equal(s.writeBytes, 4096);
    assert.equal(s.readOps, 3);
    assert.equal(s.readBytes, 1106, 'reads count the bytes returned, not requested');
    assert.equal(s.openOps, 1);
    assert.equal(s.renameOps, 1);
    assert.equal(snap.byCategory['dir']?.syncOps, 1);
    assert.equal(snap.total.writeBytes, 4256);
    assert.equal(snap.total.syncOps, 3);

    fs.stats.reset();
    assert.deepEqual(fs.stats.snapshot().byCategory, {});
    assert.equal(fs.stats.snapshot().total.writeBytes, 0);
  });

  it('a snapshot is frozen, and diffCounters measures an interval', () => {
    const fs = new AccountingFileSystem(new MemFileSystem());
    const f = fs.create('/a.log');
    f.append(new Uint8Array(7));
    const before = fs.stats.snapshot();
    f.append(new Uint8Array(5));
    const after = fs.stats.snapshot();
    assert.equal(before.total.writeBytes, 7, 'an old snapshot does not move');
    assert.equal(diffCounters(after.total, before.total).writeBytes, 5);
    assert.ok(Object.isFrozen(after.total));
  });

  it('a failed sync is not counted, and its bytes are counted by the next one that succeeds', async () => {
    const fault = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    const fs = new AccountingFileSystem(fault);
    const f = fs.create('/x.wal');
    f.append(new Uint8Array(30));
    fault.inject({ ops: ['datasync'], times: 1 });
    await assert.rejects(f.datasync());
    assert.equal(fs.stats.snapshot().total.syncOps, 0);
    await f.datasync();
    assert.equal(fs.stats.snapshot().total.syncBytes, 30);
  });

  it('the default classifier sorts engine files by name', () => {
    const cases: [string, string][] = [
      ['/db/000012.wal', 'wal'],
      ['/db/mem-000001.log', 'wal'],
      ['/db/000013.sst', 'sst'],
      ['/db/MANIFEST-000004', 'manifest'],
      ['/db/CURRENT', 'manifest'],
      ['/db/CURRENT.tmp', 'manifest'],
      ['/raft/0000000000000001.rlog', 'raftlog'],
      ['/bt/data.pages', 'page'],
      ['/db/LOCK', 'lock'],
      ['/db/OPTIONS', 'other'],
      ['relative.sst', 'sst'],
    ];
    for (const [path, category] of cases) assert.equal(defaultClassifier(path), category, path);
  });

  it('a custom classifier and a shared IoStats', () => {
    const a = new AccountingFileSystem(new MemFileSystem(), { classify: () => 'mine' });
    const b = new AccountingFileSystem(new MemFileSystem(), { stats: a.stats });
    a.create('/x').append(new Uint8Array(3));
    b.create('/y.sst').append(new Uint8Array(4));
    assert.equal(a.stats.snapshot().byCategory['mine']?.writeBytes, 3);
    assert.equal(a.stats.snapshot().byCategory['sst']?.writeBytes, 4);
  });
});
