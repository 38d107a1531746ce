// A real process crash: a child process writes to a real directory and is
// killed with SIGKILL mid-load. Reopening must find every write the child
// reported resolved (LevelDB's contract: a resolved write survives a process
// crash, synced or not).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from '@strata/vfs';
import { makeTempDir, testSeed } from '@strata/vfs/testing';
import { LsmEngine } from './lsm-engine.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

async function runAndKill(dir: string, seed: number, killAfterAcks: number): Promise<number[]> {
  const child = spawn(process.execPath, [CHILD, dir, String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: number[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      }
      if (acked.length >= killAfterAcks) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with code ${String(code)} before it was killed`));
    });
  });
  return acked;
}

describe('LsmEngine and a real SIGKILL', () => {
  it('finds every write the killed child reported resolved', async () => {
    const seed = testSeed('SIGKILL crash');
    const tmp = makeTempDir();
    try {
      const dir = `${tmp.path}/db`;
      let total = 0;
      for (let round = 0; round < 3; round++) {
        const acked = await runAndKill(dir, seed + round, 3000 + round * 1000);
        assert.ok(acked.length > 0, 'the child acknowledged writes before it was killed');
        const db = await LsmEngine.open({ tables: ['t'], fs: new NodeFileSystem(), dir });
        const enc = new TextEncoder();
        const dec = new TextDecoder();
        for (const n of acked) {
          const v = await db.get('t', enc.encode(`key${String(n).padStart(8, '0')}`));
          assert.ok(v !== undefined, `round ${round}: acknowledged write ${n} is missing (seed ${seed})`);
          assert.ok(dec.decode(v).startsWith(`value-${n}-`), `round ${round}: write ${n} has a wrong value`);
        }
        total += acked.length;
        await db.close();
      }
      assert.ok(total >= 3000);
    } finally {
      tmp.remove();
    }
  });
});
