// @strata/engine/testing: the conformance suite any StorageEngine runs
// against itself, plus the helpers it is built from. Test-only.

export { harness, type EngineFactory, type EngineHarness } from './harness.js';
export { describeCrashRecovery, describeEngine, type ConformanceOptions } from './suite.js';
export { scenarios, SCENARIO_TABLES, type Scenario } from './scenarios.js';
export { checkEngineModel, engineModelProperty, runModelOps, type ModelCheckOptions, type ModelOp } from './model-based.js';
export {
  checkCrashRecovery,
  crashRecoveryProperty,
  runCrashSteps,
  type CrashCheckOptions,
  type CrashEngineFactory,
  type CrashStep,
} from './crash-recovery.js';
export { dumpsAfterPrefixes, ModelStore } from './model.js';
export { randomWriteBatch, type BatchShape } from './random-batch.js';
export { b, collect, collectStrings, dumpEngine, s } from './helpers.js';
