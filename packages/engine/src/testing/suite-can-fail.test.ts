// The conformance suite must be able to fail: an engine that silently drops
// deleteRange is caught by both the model-based test and the scenarios.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testSeed } from '@strata/vfs/testing';
import { MemoryEngine } from '../memory/memory-engine.js';
import type { StorageEngine, WriteOp } from '../storage-engine.js';
import { checkCrashRecovery, checkEngineModel, harness, scenarios, SCENARIO_TABLES, type CrashEngineFactory, type EngineFactory } from './index.js';

/** `inner` with its write replaced. */
function withWrite(inner: StorageEngine, write: StorageEngine['write']): StorageEngine {
  return {
    tables: inner.tables,
    limits: inner.limits,
    get: (t, k) => inner.get(t, k),
    getMulti: (t, ks) => inner.getMulti(t, ks),
    scan: (t, o) => inner.scan(t, o),
    snapshot: () => inner.snapshot(),
    close: () => inner.close(),
    write,
  };
}

/** MemoryEngine with deleteRange ops dropped from every batch. */
async function openBroken(tables: readonly string[]): Promise<StorageEngine> {
  const inner = await MemoryEngine.open({ tables });
  return withWrite(inner, (ops: readonly WriteOp[], options) => inner.write(ops.filter((op) => op.type !== 'deleteRange'), options));
}

const broken: EngineFactory = { name: 'broken', open: (tables) => harness(() => openBroken(tables), { persistent: false }) };

describe('the conformance suite can fail', () => {
  it('the model-based test catches an engine that drops deleteRange', async () => {
    const seed = testSeed('broken engine model check');
    const details = await checkEngineModel(broken, { numRuns: 300, seed, persistent: false });
    assert.equal(details.failed, true, 'the model-based test passed a broken engine');
    assert.ok(details.counterexample !== null);
    // Shrinking ends at a valid deleteRange that was ignored, or at an inverted one that was not rejected.
    const [ops] = details.counterexample;
    const involvesDeleteRange = ops.some(
      (op) =>
        (op.kind === 'write' && op.ops.some((w) => w.type === 'deleteRange')) ||
        (op.kind === 'bad' && op.call.kind === 'invertedDeleteRange'),
    );
    assert.ok(involvesDeleteRange, 'the shrunk counterexample involves a deleteRange');
  });

  it('the deleteRange scenario catches it too', async () => {
    const scenario = scenarios.find((sc) => sc.name.startsWith('deleteRange deletes'));
    assert.ok(scenario !== undefined);
    const h = await broken.open(SCENARIO_TABLES);
    try {
      await assert.rejects(scenario.run(h), assert.AssertionError);
    } finally {
      await h.dispose();
    }
  });
});

describe('the crash-recovery property can fail', () => {
  it('it catches an engine that acknowledges synced writes without syncing', async () => {
    const seed = testSeed('lying engine crash check');
    const lying: CrashEngineFactory = {
      name: 'lying',
      open: async (fs, dir, tables) => {
        const inner = await MemoryEngine.open({ tables, storage: { fs, dir } });
        return withWrite(inner, (ops) => inner.write(ops, { sync: false }));
      },
    };
    const details = await checkCrashRecovery(lying, { numRuns: 300, seed });
    assert.equal(details.failed, true, 'the crash property passed an engine that never syncs');
  });
});
