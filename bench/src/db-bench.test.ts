// Smoke test: the engine benchmark runs end to end in quick mode against all
// three engines and reports every workload. Timings are not asserted; they
// live in bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

describe('bench db-bench', () => {
  it('runs in quick mode and reports every workload for every engine', async () => {
    const out = makeTempDir('strata-bench-out-');
    try {
      const script = new URL('./db-bench.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path], { maxBuffer: 16 * 1024 * 1024 });
      const json = JSON.parse(readFileSync(join(out.path, 'db-bench.json'), 'utf8')) as {
        results: { engine: string; workload: string; ops: number; opsPerSec: number; found?: number }[];
      };
      const workloads = ['fillseq', 'fillrandom/batch', 'overwrite/64', 'readrandom', 'readseq', 'seekrandom', 'fillrandom/1', 'fillrandom/64', 'fillsync/1', 'fillsync/64'];
      for (const engine of ['strata', 'classic-level', 'lmdb']) {
        for (const w of workloads) {
          const r = json.results.find((x) => x.engine === engine && x.workload === w);
          assert.ok(r !== undefined, `${engine} ${w} missing`);
          assert.ok(r.ops > 0 && r.opsPerSec > 0, `${engine} ${w} did work`);
        }
      }
      for (const probe of ['disk', 'ceiling']) {
        assert.ok(json.results.some((x) => x.engine === probe && x.ops > 0), `${probe} probe missing`);
      }
      // Every engine read the same keys from the same data: the same hits.
      const found = (e: string): number | undefined => json.results.find((x) => x.engine === e && x.workload === 'readrandom')?.found;
      assert.equal(found('strata'), found('classic-level'));
      assert.equal(found('strata'), found('lmdb'));
      const scanned = (e: string): number | undefined => json.results.find((x) => x.engine === e && x.workload === 'readseq')?.ops;
      assert.equal(scanned('strata'), scanned('lmdb'));
      assert.match(readFileSync(join(out.path, 'db-bench.md'), 'utf8'), /\| readrandom \|/);
    } finally {
      out.remove();
    }
  });
});
