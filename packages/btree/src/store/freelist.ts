// Which pages may be written. A page written by txid b and freed by txid t is
// part of exactly the versions [b, t). It may be reused only when no version
// that can still be read or recovered lies in that range: not the durable
// version (a power loss falls back to it), not a version a meta slot names
// (recovery may pick it; if a power loss brings back an older unsynced slot
// content, recovery's page check rejects it or finds its pages intact), and
// not a version a snapshot or scan pins. So pages born and freed between two
// syncs come back within a couple of commits, and pages of the durable
// version wait for the next sync. Allocation takes the lowest free ids first
// (first fit for runs) and grows the file otherwise. Single-threaded: the
// committer owns it between awaits.

interface Freed {
  readonly pgid: number;
  readonly span: number;
  /** The txid that wrote the run, and the txid that stopped using it. */
  readonly birth: number;
  readonly freedBy: number;
}

export class Freelist {
  /** Free page ids, sorted descending so the lowest is at the end. */
  #free: number[];
  /** Freed runs still in some live version's range, other than the durable one's. */
  #waiting: Freed[] = [];
  /** Freed runs the durable version still uses: re-checked when the durable txid moves. */
  #blocked: Freed[] = [];
  #blockedBy = -1;
  #pendingCount = 0;
  /** Pages in the file's used range: every page id is below it. */
  pageCount: number;

  constructor(free: readonly number[], pageCount: number) {
    this.#free = [...free].sort((a, b) => b - a);
    this.pageCount = pageCount;
  }

  get freeCount(): number {
    return this.#free.length;
  }

  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** The first page of a run of `span` pages, from the free list or past the end. */
  allocate(span: number): number {
    const free = this.#free;
    if (span === 1) {
      const id = free.pop();
      if (id !== undefined) return id;
    } else {
      // free is descending: a run of ascending ids reads right to left.
      let runEnd = free.length - 1;
      for (let i = free.length - 1; i >= 0; i--) {
        if (i < runEnd && (free[i] as number) !== (free[i + 1] as number) + 1) runEnd = i;
        if (runEnd - i + 1 === span) {
          const first = free[runEnd] as number;
          free.splice(i, span);
          return first;
        }
      }
    }
    const id = this.pageCount;
    this.pageCount += span;
    return id;
  }

  /** Records that `freedBy` stopped using pages [pgid, pgid + span), which `birth` wrote. */
  free(freedBy: number, pgid: number, span: number, birth: number): void {
    this.#waiting.push({ pgid, span, birth, freedBy });
    this.#pendingCount += span;
  }

  /**
   * Frees every pending run whose versions [birth, freedBy) hold neither the
   * durable txid nor any of `live` (meta slots and pinned readers).
   */
  release(durable: number, live: readonly number[]): void {
    if (durable !== this.#blockedBy && this.#blocked.length > 0) {
      for (const f of this.#blocked) this.#waiting.push(f);
      this.#blocked = [];
    }
    this.#blockedBy = durable;
    const keep: Freed[] = [];
    let moved = false;
    for (const f of this.#waiting) {
      if (f.birth <= durable && durable < f.freedBy) {
        this.#blocked.push(f);
        continue;
      }
      if (live.some((v) => f.birth <= v && v < f.freedBy)) {
        keep.push(f);
        continue;
      }
      for (let i = 0; i < f.span; i++) this.#free.push(f.pgid + i);
      this.#pendingCount -= f.span;
      moved = true;
    }
    this.#waiting = keep;
    if (moved) this.#free.sort((a, b) => b - a);
  }

  /** Every free and pending id, ascending: what a restart may reuse. */
  persisted(): Uint32Array {
    // A typed array sorts numerically in native code: this runs on every commit, over thousands of ids.
    const out = new Uint32Array(this.#free.length + this.#pendingCount);
    out.set(this.#free);
    let at = this.#free.length;
    for (const list of [this.#waiting, this.#blocked]) for (const f of list) for (let i = 0; i < f.span; i++) out[at++] = f.pgid + i;
    return out.sort();
  }
}
