// Smoke test: the Raft core benchmark runs end to end in quick mode, every
// case commits every entry on all three nodes, and the results name the
// target and where the time went. Rates are not asserted; they live in
// bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

interface Result {
  cases: { commandBytes: number; batch: number; current: { leaderMedian: number; allMedian: number; messagesPerEntry: number } }[];
  target: { met: boolean };
  profile: { hot: unknown[]; sharePercent: { core: number } };
}

describe('bench raft-core', () => {
  it('runs in quick mode and writes JSON and markdown with every case', async () => {
    const out = makeTempDir('strata-bench-out-');
    try {
      const script = new URL('./raft-core.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path]);
      const json = JSON.parse(readFileSync(join(out.path, 'raft-core-quick.json'), 'utf8')) as Result;
      assert.equal(json.cases.length, 8);
      for (const c of json.cases) {
        // A run ends only once all three nodes applied every entry (the driver throws if the cluster stalls).
        assert.ok(c.current.leaderMedian > 0 && c.current.allMedian > 0, `${c.commandBytes} B x${c.batch}: no rate`);
        assert.ok(c.current.messagesPerEntry > 0);
      }
      assert.ok(json.profile.hot.length > 0 && json.profile.sharePercent.core > 0);
      assert.match(readFileSync(join(out.path, 'raft-core-quick.md'), 'utf8'), /Target ≥ 500,000 entries\/s for 100-byte commands: (met|not met)/);
    } finally {
      out.remove();
    }
  });
});
