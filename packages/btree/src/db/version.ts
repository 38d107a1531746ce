// Committed versions and the readers that pin them. A version is the catalog
// of one txid; a snapshot or scan pins its txid so that no page it may read is
// reused (see store/freelist.ts). Single-threaded: pins change synchronously.

import type { TableRoot } from '../format/catalog.js';

export class Version {
  constructor(
    readonly txid: number,
    readonly tables: ReadonlyMap<string, TableRoot>,
  ) {}
}

export class Readers {
  readonly #pins = new Map<number, number>();

  pin(txid: number): void {
    this.#pins.set(txid, (this.#pins.get(txid) ?? 0) + 1);
  }

  unpin(txid: number): void {
    const n = this.#pins.get(txid) ?? 0;
    if (n <= 1) this.#pins.delete(txid);
    else this.#pins.set(txid, n - 1);
  }

  get count(): number {
    let n = 0;
    for (const c of this.#pins.values()) n += c;
    return n;
  }

  /** Every pinned txid. */
  pinned(): number[] {
    return [...this.#pins.keys()];
  }
}
