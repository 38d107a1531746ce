// Child process for the SIGKILL test (kill-crash.test.ts): opens an LSM
// database on the real filesystem and writes keys with 64 writes in flight,
// printing "ack <n>" on stdout once write n has resolved, until killed.
// Usage: node crash-child.js <dir> <seed>

import { NodeFileSystem, Rng } from '@strata/vfs';
import { LsmEngine } from './lsm-engine.js';

const [dir, seedArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-child.js <dir> <seed>');
const rng = new Rng(Number(seedArg ?? 1));
const db = await LsmEngine.open({ tables: ['t'], fs: new NodeFileSystem(), dir, writeBufferSize: 64 * 1024, targetFileSize: 32 * 1024, l0CompactionTrigger: 2 });
const enc = new TextEncoder();
let next = 0;
const lines: string[] = [];
let scheduled = false;
const out = (line: string): void => {
  lines.push(line);
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      process.stdout.write(lines.join(''));
      lines.length = 0;
    });
  }
};
async function writer(): Promise<void> {
  for (;;) {
    const n = next++;
    const key = enc.encode(`key${String(n).padStart(8, '0')}`);
    const value = enc.encode(`value-${n}-${'v'.repeat(rng.int(100))}`);
    await db.write([{ type: 'put', table: 't', key, value }], { sync: rng.chance(0.05) });
    out(`ack ${n}\n`);
  }
}
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 64 }, writer));
