// useFilters: false reads tables as if they had no filters (for read-
// amplification studies): gets stay correct, no filter skips a table, and
// more data blocks are read than with filters.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemFileSystem } from '@strata/vfs';
import { LsmEngine } from './lsm-engine.js';

describe('LsmEngine useFilters option', () => {
  it('without filters every overlapping table reads a block, and results are the same', async () => {
    const fs = new MemFileSystem();
    const enc = new TextEncoder();
    const opts = { fs, dir: '/db', tables: ['t'], writeBufferSize: 4096, disableAutoCompactions: true } as const;
    const db = await LsmEngine.open(opts);
    // Several overlapping L0 tables: every key range spans all of them.
    for (let round = 0; round < 4; round++) {
      await db.write(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, table: 't', key: enc.encode(`k${String(i * 4 + round).padStart(4, '0')}`), value: enc.encode(`v${round}`) })));
      await db.flush();
    }
    await db.close();
    const probe = async (useFilters: boolean): Promise<{ tables: number; negatives: number; found: number }> => {
      const e = await LsmEngine.open({ ...opts, useFilters });
      let found = 0;
      for (let i = 0; i < 200; i++) if ((await e.get('t', enc.encode(`k${String(i).padStart(4, '0')}`))) !== undefined) found++;
      const s = e.stats();
      await e.close();
      return { tables: s.reads.blocksRead, negatives: s.reads.filterNegatives, found };
    };
    const withF = await probe(true);
    const without = await probe(false);
    assert.equal(withF.found, 200);
    assert.equal(without.found, 200);
    assert.equal(without.negatives, 0);
    assert.ok(withF.negatives > 0);
    assert.ok(without.tables > withF.tables, `${without.tables} blocks read without filters, ${withF.tables} with`);
  });
});
