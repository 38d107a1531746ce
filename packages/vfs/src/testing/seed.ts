// Seeds for randomized tests. Every randomized test takes its seed from
// here, so the seed is printed and a failure replays with STRATA_SEED=<n>.

import { randomSeed } from '../rng.js';

/** The seed to use: STRATA_SEED if set, else a fresh one. Prints it with `label`. */
export function testSeed(label: string): number {
  const fromEnv = process.env['STRATA_SEED'];
  let seed: number;
  if (fromEnv !== undefined && fromEnv !== '') {
    seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      throw new RangeError(`STRATA_SEED must be an integer in [0, 2^32), got ${fromEnv}`);
    }
  } else {
    seed = randomSeed();
  }
  console.log(`# ${label}: seed ${seed} (replay with STRATA_SEED=${seed})`);
  return seed;
}
