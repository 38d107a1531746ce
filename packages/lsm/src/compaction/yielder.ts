// Cooperative time slicing for background work on the event loop: CPU-heavy
// loops (merging, building tables) call tick() per entry, and every `sliceMs`
// of work tick() resolves only after a setImmediate turn, so writes, reads
// and timers queued meanwhile run. This bounds the event-loop delay that
// flush and compaction add (measured in bench/results).

import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export class Yielder {
  readonly #sliceMs: number;
  #sliceStart = performance.now();
  #count = 0;
  /** Times this yielder gave the loop back. */
  yields = 0;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** True if the current slice is used up (checked every 64 calls, to keep the clock off the hot path). */
  due(): boolean {
    if (++this.#count < 64) return false;
    this.#count = 0;
    return performance.now() - this.#sliceStart >= this.#sliceMs;
  }

  /** Gives the event loop a turn and starts a new slice. */
  async yield(): Promise<void> {
    this.yields++;
    await nextTurn();
    this.#sliceStart = performance.now();
  }
}
