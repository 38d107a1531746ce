// Keeps a chain of writes from starving the event loop. Writes that resolve
// without real I/O (unsynced appends go through the page cache synchronously)
// form one long microtask chain when a caller awaits them back to back: the
// event loop never turns, so timers, sockets and the engine's own background
// flush and compaction slices would all wait until the chain ends. The
// group-commit leader asks due() before each group: it arms a setImmediate
// heartbeat, and if that heartbeat has not run within `sliceMs` the loop is
// starved and the leader yields one turn.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export class LoopWatch {
  readonly #sliceMs: number;
  #armed = false;
  #armedAt = 0;
  /** Turns given back to the loop. */
  yields = 0;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** True if the loop has not turned for a slice; arms the heartbeat otherwise. */
  due(): boolean {
    if (!this.#armed) {
      this.#armed = true;
      this.#armedAt = performance.now();
      setImmediate(() => {
        this.#armed = false;
      });
      return false;
    }
    return performance.now() - this.#armedAt >= this.#sliceMs;
  }

  /** Lets the loop turn once (the heartbeat runs first, so the watch resets). */
  async yield(): Promise<void> {
    this.yields++;
    await nextTurn();
  }
}
