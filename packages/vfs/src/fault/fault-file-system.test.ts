import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OsError } from '../errors.js';
import { MemFileSystem } from '../mem/mem-file-system.js';
import { describeFileSystem } from '../testing/index.js';
import { FaultFileSystem } from './fault-file-system.js';

describeFileSystem('FaultFileSystem over MemFileSystem, no rules', () => {
  const mem = new MemFileSystem();
  mem.mkdir('/work');
  return { fs: new FaultFileSystem(mem, { seed: 1 }), root: '/work', cleanup: () => undefined };
});

const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

function isInjected(errno: string) {
  return (err: unknown): boolean => err instanceof OsError && err.errno === errno && err.injected;
}

describe('FaultFileSystem', () => {
  it('injects by operation kind and path pattern, and leaves everything else alone', async () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    fs.inject({ ops: ['datasync'], path: /\.wal$/, errno: 'EIO' });
    const wal = fs.create('/000001.wal');
    const sst = fs.create('/000002.sst');
    wal.append(data);
    sst.append(data);
    await assert.rejects(wal.datasync(), isInjected('EIO'));
    await sst.datasync();
    await wal.sync();
    assert.deepEqual(fs.injected, [{ op: 'datasync', path: '/000001.wal', errno: 'EIO' }]);
  });

  it('after and times select exactly which matching calls fail', () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    const rule = fs.inject({ ops: ['append'], after: 2, times: 2, errno: 'ENOSPC' });
    const f = fs.create('/f');
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        f.append(data);
        outcomes.push('ok');
      } catch (err) {
        assert.ok(isInjected('ENOSPC')(err));
        outcomes.push('ENOSPC');
      }
    }
    assert.deepEqual(outcomes, ['ok', 'ok', 'ENOSPC', 'ENOSPC', 'ok', 'ok']);
    assert.equal(rule.matched, 6);
    assert.equal(rule.injected, 2);
    assert.equal(f.size(), 4 * data.length, 'a failed append writes nothing');
  });

  it('a probability rule fails a seeded, reproducible share of calls', () => {
    const run = (seed: number): string => {
      const fs = new FaultFileSystem(new MemFileSystem(), { seed });
      fs.inject({ ops: ['stat'], probability: 0.3 });
      fs.mkdir('/d');
      let pattern = '';
      for (let i = 0; i < 400; i++) {
        try {
          fs.stat('/d');
          pattern += '.';
        } catch {
          pattern += 'x';
        }
      }
      return pattern;
    };
    const a = run(9);
    assert.equal(a, run(9), 'same seed, same schedule');
    assert.notEqual(a, run(10));
    const failures = [...a].filter((c) => c === 'x').length;
    assert.ok(failures > 80 && failures < 160, `expected about 120 of 400 to fail, got ${failures}`);
  });

  it('a partial write leaves a prefix of the data behind, like a short write on a full disk', () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 5 });
    const f = fs.create('/f');
    fs.inject({ ops: ['append'], partialWrite: true, errno: 'ENOSPC', times: 1 });
    assert.throws(() => f.append(data), isInjected('ENOSPC'));
    const n = f.size();
    assert.ok(n < data.length);
    assert.deepEqual(f.read(0, n), data.subarray(0, n));
  });

  it('rules can be removed or cleared while running', () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    const rule = fs.inject({ ops: ['mkdir'] });
    assert.throws(() => fs.mkdir('/a'), isInjected('EIO'));
    rule.remove();
    fs.mkdir('/a');
    fs.inject({ ops: ['rename'], path: /b$/ });
    fs.create('/a/x').close();
    assert.throws(() => fs.rename('/a/x', '/a/b'), isInjected('EIO'), 'a rename matches on its target too');
    fs.clear();
    fs.rename('/a/x', '/a/b');
    assert.deepEqual(fs.list('/a'), ['b']);
  });

  it('syncDir, open, read and lock can fail too', async () => {
    const fs = new FaultFileSystem(new MemFileSystem(), { seed: 1 });
    fs.create('/f').close();
    fs.inject({ ops: ['syncDir', 'open', 'lock'], times: 3 });
    await assert.rejects(fs.syncDir('/'), isInjected('EIO'));
    assert.throws(() => fs.open('/f'), isInjected('EIO'));
    assert.throws(() => fs.lock('/LOCK'), isInjected('EIO'));
    const f = fs.open('/f');
    fs.inject({ ops: ['read'], errno: 'EIO' });
    assert.throws(() => f.read(0, 1), isInjected('EIO'));
  });
});
