// Smoke test: the filter benchmark runs end to end in quick mode and reports
// every contender with a sane false-positive rate and no false negatives.
// Timings are not asserted; they live in bench/results.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

describe('bench filter', () => {
  it('runs in quick mode and writes JSON and markdown for all three filters', async () => {
    const out = makeTempDir('strata-bench-filter-');
    try {
      const script = new URL('./filter.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path]);
      const json = JSON.parse(readFileSync(join(out.path, 'filter.json'), 'utf8')) as {
        results: { filter: string; addNs: number; falsePositiveRate: number; falseNegatives: number }[];
      };
      assert.equal(json.results.length, 3);
      for (const r of json.results) {
        assert.equal(r.falseNegatives, 0, r.filter);
        assert.ok(r.falsePositiveRate < 0.03, `${r.filter}: ${r.falsePositiveRate}`);
        assert.ok(r.addNs > 0);
      }
      assert.match(readFileSync(join(out.path, 'filter.md'), 'utf8'), /\| strata sstable\/bloom \|/);
    } finally {
      out.remove();
    }
  });
});
