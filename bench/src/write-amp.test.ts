// Smoke test: the write-amplification benchmark runs in quick mode. Strata's
// rows must account for every user byte (total write amplification above 1:
// the WAL alone writes each byte once); RocksDB's row either has figures or
// says db_bench is missing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '@strata/vfs/testing';

describe('bench write-amp', () => {
  it('runs in quick mode and reports write amplification for every engine', async () => {
    const out = makeTempDir('strata-bench-out-');
    try {
      const script = new URL('./write-amp.js', import.meta.url).pathname;
      await promisify(execFile)(process.execPath, [script, '--quick', '--out', out.path], { maxBuffer: 16 * 1024 * 1024 });
      const json = JSON.parse(readFileSync(join(out.path, 'write-amp.json'), 'utf8')) as {
        rows: { engine: string; userBytes: number; totalWriteAmp: number; note?: string }[];
      };
      const strata = json.rows.filter((r) => r.engine.startsWith('strata-lsm'));
      assert.equal(strata.length, 3);
      for (const r of strata) {
        assert.equal(r.userBytes, 20_000 * 116);
        assert.ok(r.totalWriteAmp > 1, `${r.engine}: ${r.totalWriteAmp}`);
      }
      const rocks = json.rows.find((r) => r.engine === 'rocksdb db_bench');
      assert.ok(rocks !== undefined && (rocks.totalWriteAmp > 1 || (rocks.note ?? '').includes('not available')));
    } finally {
      out.remove();
    }
  });
});
