// I/O counters per file category. Benchmarks read a snapshot before and
// after a phase (or reset between phases) and divide bytes written or read
// by the user's logical bytes to get write and read amplification for any
// engine built on the vfs seam.

/** A file category such as "wal", "sst", "manifest", "raftlog" or "page". */
export type IoCategory = string;

export interface IoCounters {
  /** read() calls and the bytes they returned. */
  readonly readOps: number;
  readonly readBytes: number;
  /** append() and writeAt() calls and the bytes they wrote. */
  readonly writeOps: number;
  readonly writeBytes: number;
  /** sync(), datasync() and syncDir() calls that succeeded, and the bytes written through the handle since its previous sync. */
  readonly syncOps: number;
  readonly syncBytes: number;
  /** Files opened or created, removed, and renamed (counted under the new name's category). */
  readonly openOps: number;
  readonly createOps: number;
  readonly removeOps: number;
  readonly renameOps: number;
}

export interface IoSnapshot {
  /** Sum over all categories. */
  readonly total: IoCounters;
  /** Counters per category; a category appears once it has seen an operation. */
  readonly byCategory: Readonly<Record<IoCategory, IoCounters>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function zeroCounters(): IoCounters {
  return {
    readOps: 0,
    readBytes: 0,
    writeOps: 0,
    writeBytes: 0,
    syncOps: 0,
    syncBytes: 0,
    openOps: 0,
    createOps: 0,
    removeOps: 0,
    renameOps: 0,
  };
}

/** a - b, field by field: the I/O of the interval between two snapshots. */
export function diffCounters(a: IoCounters, b: IoCounters): IoCounters {
  const out: Mutable<IoCounters> = zeroCounters();
  for (const key of Object.keys(out) as (keyof IoCounters)[]) out[key] = a[key] - b[key];
  return out;
}

export class IoStats {
  #byCategory = new Map<IoCategory, Mutable<IoCounters>>();

  /** Adds `amount` to one counter of `category`. */
  add(category: IoCategory, counter: keyof IoCounters, amount: number): void {
    let c = this.#byCategory.get(category);
    if (c === undefined) {
      c = zeroCounters();
      this.#byCategory.set(category, c);
    }
    c[counter] += amount;
  }

  /** A frozen copy of every counter. */
  snapshot(): IoSnapshot {
    const total: Mutable<IoCounters> = zeroCounters();
    const byCategory: Record<IoCategory, IoCounters> = {};
    for (const [category, c] of [...this.#byCategory].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      byCategory[category] = Object.freeze({ ...c });
      for (const key of Object.keys(total) as (keyof IoCounters)[]) total[key] += c[key];
    }
    return Object.freeze({ total: Object.freeze(total), byCategory: Object.freeze(byCategory) });
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.#byCategory.clear();
  }
}
