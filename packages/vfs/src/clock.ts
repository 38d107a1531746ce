// The injected clock. Code that needs time takes a Clock, so tests and
// simulations drive time by hand (ManualClock) and replay exactly.

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  now(): number;
  /** Milliseconds from an arbitrary origin that never go backwards; for measuring intervals. */
  monotonic(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** The process's real clock. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

interface Sleeper {
  readonly deadline: number;
  readonly resolve: () => void;
}

/** A clock that moves only when told to. Sleepers wake, in deadline order, when `advance` passes their deadline. */
export class ManualClock implements Clock {
  #now: number;
  #monotonic = 0;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#monotonic;
  }
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#sleepers.push({ deadline: this.#monotonic + ms, resolve });
      this.#sleepers.sort((a, b) => a.deadline - b.deadline);
    });
  }

  /** Moves time forward by `ms` and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs ms >= 0, got ${ms}`);
    this.#now += ms;
    this.#monotonic += ms;
    while (this.#sleepers.length > 0 && (this.#sleepers[0] as Sleeper).deadline <= this.#monotonic) {
      (this.#sleepers.shift() as Sleeper).resolve();
    }
  }

  /** How many sleepers are waiting. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }
}
