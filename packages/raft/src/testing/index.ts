// @strata/raft/testing: helpers for tests of Raft and of what is built on
// it: an in-process cluster network, the simulation, and the interpreter of
// scenario scripts (test/testdata/raft/*.txt).

export { applyConfChangeEntry, Network, type TestNode } from './network.js';
export { Checker, Violation, type Rule } from './simulation/checkers.js';
export { Simulation, simulate, SimulationFailure, type SimOptions, type SimStats } from './simulation/simulation.js';
export { COMMANDS, runCommand } from './interaction/commands.js';
export { parseScript, runScript, ScriptSyntaxError, type ScriptCase, type ScriptRun } from './interaction/datadriven.js';
export { DEFAULT_NODE_OPTIONS, InteractionEnv, type EnvNode, type NodeOptions } from './interaction/env.js';
export { MUTATIONS, type Mutation } from './simulation/mutations.js';
