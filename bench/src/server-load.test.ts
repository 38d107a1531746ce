// Smoke test: the server load benchmark runs end to end in quick mode
// (Strata only: CI installs etcdctl, not etcd) and reports both setups.
// Throughput is not asserted; it lives in bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

describe('bench server-load', () => {
  it('runs in quick mode against Strata and writes JSON and markdown for 1 and 3 members', async () => {
    const out = makeTempDir('strata-bench-server-');
    try {
      const script = new URL('./server-load.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--servers', 'strata', '--out', out.path], { timeout: 120_000 });
      const json = JSON.parse(readFileSync(join(out.path, 'server-quick.json'), 'utf8')) as { rows: { members: number; load: { writesPerSec: number; errors: number } }[] };
      assert.deepEqual(json.rows.map((r) => r.members), [1, 3]);
      for (const r of json.rows) {
        assert.ok(r.load.writesPerSec > 0, `no writes acknowledged with ${r.members} members`);
        assert.equal(r.load.errors, 0);
      }
      assert.match(readFileSync(join(out.path, 'server-quick.md'), 'utf8'), /Strata against etcd/);
    } finally {
      out.remove();
    }
  });
});
