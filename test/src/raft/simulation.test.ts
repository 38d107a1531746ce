// The deterministic cluster simulation of @strata/raft: 3 to 7 nodes under
// message loss, duplication, reordering, partitions, crashes and membership
// changes, with every safety checker run after every event. A failure prints
// its seed and the events before it; STRATA_SIM_SEED=<seed> replays exactly
// that run. The mutation check proves the checkers can fail.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MUTATIONS, Simulation, simulate, SimulationFailure, Violation, type SimStats } from '@strata/raft/testing';
import { testSeed } from '@strata/vfs/testing';

/** Seeds per CI run (the issue asks for at least 1,000). */
const SEEDS = Number(process.env['STRATA_SIM_SEEDS'] ?? 1000);
const STEPS = 3000;
const SETTLE = 300;
/** A mutation must be caught within this many seeds (each is caught within about 10 here). */
const MUTATION_BUDGET = 200;

const replayHint = (seed: number): string => `replay: STRATA_SIM_SEED=${seed} node --test test/dist/raft/simulation.test.js`;

describe('raft cluster simulation', () => {
  const only = process.env['STRATA_SIM_SEED'];
  const base = only !== undefined && only !== '' ? Number(only) : testSeed('raft simulation (first seed)');

  it(`${only !== undefined && only !== '' ? 1 : SEEDS} seeded runs keep election safety, log matching, leader completeness, state machine safety and linearizable reads, and each healed cluster commits again`, () => {
    const count = only !== undefined && only !== '' ? 1 : SEEDS;
    const total: Record<keyof SimStats, number> = { events: 0, committed: 0, leaders: 0, reads: 0, confChanges: 0, crashes: 0, snapshots: 0, members: 0 };
    for (let i = 0; i < count; i++) {
      const seed = (base + i) >>> 0;
      let stats: SimStats;
      try {
        stats = simulate({ seed, steps: STEPS, settleSteps: SETTLE });
      } catch (err) {
        if (err instanceof SimulationFailure) assert.fail(`${err.message}\n${replayHint(seed)}`);
        throw err;
      }
      for (const k of Object.keys(total) as (keyof SimStats)[]) total[k] += stats[k];
    }
    console.log(`# raft simulation: ${count} seeds from ${base}: ${JSON.stringify(total)}`);
    // The runs must exercise what they check: elections, commits, reads, membership changes, crashes and snapshots.
    for (const k of ['leaders', 'committed', 'reads', 'confChanges', 'crashes', 'snapshots'] as const) assert.ok(total[k] >= count, `${k}: ${total[k]} over ${count} runs`);
  });

  it('a run replays event for event from its seed', () => {
    const run = (): { trace: readonly string[]; stats: SimStats } => {
      const sim = new Simulation(base);
      for (let i = 0; i < 1000; i++) sim.step();
      // The trace keeps the most recent events (between 400 and 800 lines).
      return { trace: sim.trace.slice(), stats: sim.summary() };
    };
    const a = run();
    assert.equal(a.stats.events, 1000);
    assert.ok(a.trace.length > 100, `trace of ${a.trace.length} lines`);
    assert.deepEqual(run(), a);
  });

  describe('mutation check: a broken rule is caught', () => {
    for (const m of MUTATIONS) {
      it(`${m.name} (breaks ${m.breaks})`, () => {
        const undo = m.apply();
        let caught: SimulationFailure | undefined;
        try {
          for (let i = 0; i < MUTATION_BUDGET && caught === undefined; i++) {
            try {
              simulate({ seed: (base + i) >>> 0, steps: STEPS, settleSteps: SETTLE });
            } catch (err) {
              if (!(err instanceof SimulationFailure)) throw err;
              // A checker must object; the core tripping over its own broken state does not count.
              if (err.violation instanceof Violation) caught = err;
            }
          }
        } finally {
          undo();
        }
        assert.ok(caught !== undefined, `no checker noticed the mutation in ${MUTATION_BUDGET} seeds from ${base}`);
        console.log(`# ${m.name}: caught at seed ${caught.seed}: ${caught.violation.message}`);
      });
    }
  });
});
