// Smoke test: the amplification study runs in --quick mode, and its sanity
// checks hold: LSM write amplification grows with N, a B+Tree's random-insert
// write amplification is within 2x of page size / record size, and with
// filters an LSM get needs about one data block. These catch a broken I/O
// accounting layer or a broken engine counter.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

interface Json {
  runs: { engine: string; n: number; insert: { amplification: number; userBytes: number }; spaceAmplification: number }[];
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('bench amplification study', () => {
  it('runs in quick mode, writes its report and plots, and every sanity check holds', async () => {
    const out = makeTempDir('strata-amp-out-');
    try {
      const script = new URL('./amplification/study.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path], { maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
        // A failed sanity check exits 1 but still writes the report: let the assertions below say which.
        if (!existsSync(join(out.path, 'amplification-quick.json'))) throw err;
      });
      const json = JSON.parse(readFileSync(join(out.path, 'amplification-quick.json'), 'utf8')) as Json;
      const strata = json.runs.filter((r) => r.engine.startsWith('LSM') || r.engine.startsWith('B+Tree'));
      assert.equal(strata.length, 6 * 3, 'six Strata configurations at three N');
      for (const r of strata) {
        assert.equal(r.insert.userBytes, r.n * 116, `${r.engine} N=${r.n}: user bytes`);
        assert.ok(r.insert.amplification > 1, `${r.engine} N=${r.n}: write amplification ${r.insert.amplification}`);
        // Key prefix compression can bring an LSM just under 1.
        assert.ok(r.spaceAmplification > 0.5, `${r.engine} N=${r.n}: space amplification ${r.spaceAmplification}`);
      }
      assert.ok(json.checks.length >= 10, `${json.checks.length} checks`);
      for (const c of json.checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
      const md = readFileSync(join(out.path, 'amplification-quick.md'), 'utf8');
      assert.match(md, /Where measurement and textbook part/);
      assert.match(readFileSync(join(out.path, 'amplification-quick-100-write.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*<path /);
    } finally {
      out.remove();
    }
  });
});
