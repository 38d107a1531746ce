import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LockHeld } from '../errors.js';
import { describeFileSystem, makeTempDir } from '../testing/index.js';
import { NodeFileSystem } from './node-file-system.js';

describeFileSystem('NodeFileSystem', () => {
  const dir = makeTempDir();
  return { fs: new NodeFileSystem(), root: dir.path, cleanup: dir.remove };
});

/** Starts a child process that takes the lock at `path` and then waits to be killed. */
async function childHoldingLock(path: string): Promise<{ pid: number; kill: () => Promise<void> }> {
  const moduleUrl = new URL('./node-file-system.js', import.meta.url).href;
  const script = `
    const { NodeFileSystem } = await import(${JSON.stringify(moduleUrl)});
    new NodeFileSystem().lock(${JSON.stringify(path)});
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString().trim(), 'locked');
  return {
    pid: child.pid as number,
    kill: async () => {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe('NodeFileSystem lock across processes', () => {
  it('a lock held by a live process refuses, and is taken over once that process is killed', async () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'LOCK');
      const child = await childHoldingLock(path);
      const fs = new NodeFileSystem();
      assert.throws(
        () => fs.lock(path),
        (err: unknown) => err instanceof LockHeld && (err.holder ?? '').startsWith(`pid ${child.pid} `),
      );
      await child.kill();
      const lock = fs.lock(path);
      assert.throws(() => fs.lock(path), LockHeld, 'held by this process now');
      lock.release();
      assert.equal(fs.exists(path), false, 'release removes the lock file');
    } finally {
      dir.remove();
    }
  });

  it('a lock file from another host or unreadable is respected; one naming this process but not held is stale', () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'LOCK');
      const fs = new NodeFileSystem();
      writeFileSync(path, 'garbage');
      assert.throws(() => fs.lock(path), LockHeld);
      writeFileSync(path, '1 some-other-host\n');
      assert.throws(() => fs.lock(path), LockHeld, 'liveness on another host cannot be checked');
      writeFileSync(path, `${process.pid} ${hostname()}\n`);
      const lock = fs.lock(path);
      lock.release();
    } finally {
      dir.remove();
    }
  });
});
