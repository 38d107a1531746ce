// Smoke test: the Raft log benchmark runs end to end in quick mode and
// reports every case for both engines, the disk's limits and recovery.
// Timings are not asserted; they live in bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

interface Result {
  raw: { appendFdatasyncPerSec: number; seqFdatasyncMBps: number };
  cases: { engine: string; entryBytes: number; writers: number; groups: number; entries: number; writeAmp: number }[];
  recovery: { entries: number; indexBytesPerMillionEntries: number };
}

describe('bench raftlog', () => {
  it('runs in quick mode and writes JSON and markdown with every case', async () => {
    const out = makeTempDir('strata-bench-out-');
    try {
      const script = new URL('./raftlog.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--seconds', '0.1', '--out', out.path]);
      const json = JSON.parse(readFileSync(join(out.path, 'raftlog-quick.json'), 'utf8')) as Result;
      assert.ok(json.raw.appendFdatasyncPerSec > 0 && json.raw.seqFdatasyncMBps > 0);
      assert.equal(json.cases.length, 16);
      for (const c of json.cases) {
        assert.ok(c.entries > 0, `${c.engine} ${c.entryBytes} x${c.writers} /${c.groups}: no entries written`);
        // Every logical byte reaches the disk at least once (the raft log may compress half-compressible data).
        assert.ok(c.writeAmp > 0.4, `${c.engine}: write amplification ${c.writeAmp}`);
      }
      assert.ok(json.recovery.entries > 0);
      assert.ok(json.recovery.indexBytesPerMillionEntries >= 16e6);
      assert.match(readFileSync(join(out.path, 'raftlog-quick.md'), 'utf8'), /\| 16 KiB \| 64 \| 100 \| raftlog \|/);
    } finally {
      out.remove();
    }
  });
});
