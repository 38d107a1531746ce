// Smoke test: the vfs-io benchmark runs end to end in quick mode and
// reports every case. Timings are not asserted; they live in bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

describe('bench vfs-io', () => {
  it('runs in quick mode and writes JSON and markdown with every case', async () => {
    const out = makeTempDir('strata-bench-out-');
    try {
      const script = new URL('./vfs-io.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path]);
      const json = JSON.parse(readFileSync(join(out.path, 'vfs-io.json'), 'utf8')) as {
        cases: { op: string; api: string; p50us: number }[];
      };
      const names = json.cases.map((c) => `${c.op}|${c.api}`);
      for (const want of ['read 4 KiB|sync', 'read 4 KiB|promise', 'read 4 KiB|vfs', 'write 4 KiB + fdatasync|callback', 'rename|sync']) {
        assert.ok(names.includes(want), `missing ${want}`);
      }
      assert.ok(json.cases.every((c) => c.p50us > 0));
      assert.match(readFileSync(join(out.path, 'vfs-io.md'), 'utf8'), /\| read 4 KiB \| sync \|/);
    } finally {
      out.remove();
    }
  });
});
