// Which pages may be written. A page freed by txid t was part of every
// version before t, so it stays pending until no reader holds a version older
// than t and t is durable (until then a power loss may recover a version
// that still uses it); release() then makes it free. Allocation takes the
// lowest free ids first (first fit for runs) and grows the file otherwise.
// Single-threaded: the committer owns it between awaits.

export class Freelist {
  /** Free page ids, sorted descending so the lowest is at the end. */
  #free: number[];
  /** Pages freed by each txid, not yet reusable. */
  readonly #pending = new Map<number, number[]>();
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

  /** Records that `txid` stopped using pages [pgid, pgid + span). */
  free(txid: number, pgid: number, span: number): void {
    let list = this.#pending.get(txid);
    if (list === undefined) {
      list = [];
      this.#pending.set(txid, list);
    }
    for (let i = 0; i < span; i++) list.push(pgid + i);
    this.#pendingCount += span;
  }

  /** Makes the pages freed by txids <= `upTo` allocatable. */
  release(upTo: number): void {
    let moved = false;
    for (const [txid, ids] of this.#pending) {
      if (txid > upTo) continue;
      for (const id of ids) this.#free.push(id);
      this.#pendingCount -= ids.length;
      this.#pending.delete(txid);
      moved = true;
    }
    if (moved) this.#free.sort((a, b) => b - a);
  }

  /** Every free and pending id, ascending: what a restart may reuse. */
  persisted(): number[] {
    const out = [...this.#free];
    for (const ids of this.#pending.values()) for (const id of ids) out.push(id);
    return out.sort((a, b) => a - b);
  }
}
