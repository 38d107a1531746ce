// Registers the conformance suite with node:test. Any engine runs it against
// itself: `describeEngine(factory, { numRuns: 500 })`.

import { describe, it } from 'node:test';
import fc from 'fast-check';
import { testSeed } from '@strata/vfs/testing';
import { crashRecoveryProperty, type CrashEngineFactory } from './crash-recovery.js';
import type { EngineFactory } from './harness.js';
import { engineModelProperty } from './model-based.js';
import { scenarios, SCENARIO_TABLES } from './scenarios.js';

export interface ConformanceOptions {
  /** fast-check runs of the model-based test. */
  readonly numRuns: number;
  /** The engine persists across reopen: adds reopen steps and the persistence scenarios. */
  readonly persistent: boolean;
}

/** The scenario tests and the model-based test, under one describe block. */
export function describeEngine(factory: EngineFactory, options: ConformanceOptions): void {
  describe(`StorageEngine conformance: ${factory.name}`, () => {
    for (const scenario of scenarios) {
      if (scenario.persistentOnly === true && !options.persistent) continue;
      it(scenario.name, async () => {
        const h = await factory.open(SCENARIO_TABLES);
        try {
          await scenario.run(h);
        } finally {
          await h.dispose();
        }
      });
    }
    it(`matches a sorted-map model over ${options.numRuns} random operation sequences`, async () => {
      const seed = testSeed(`${factory.name} model-based test`);
      await fc.assert(engineModelProperty(factory, { ...options, seed }), { numRuns: options.numRuns, seed });
    });
  });
}

/** The crash-recovery property test for a persistent engine on MemFileSystem. */
export function describeCrashRecovery(factory: CrashEngineFactory, options: { readonly numRuns: number; readonly maxSteps?: number }): void {
  describe(`crash recovery: ${factory.name}`, () => {
    it(`every acknowledged write survives power loss and process crashes, as an exact prefix (${options.numRuns} runs)`, async () => {
      const seed = testSeed(`${factory.name} crash recovery`);
      await fc.assert(crashRecoveryProperty(factory, { ...options, seed }), { numRuns: options.numRuns, seed });
    });
  });
}
