// A byte-bounded LRU cache of decoded nodes, keyed by page id. Nodes are
// immutable; a cached entry is trusted only if it is the page the caller
// expects (same txid), so an entry left over from a page's earlier use is
// simply a miss. The Map's insertion order is the recency order.

import type { Node } from '../tree/node.js';

export class PageCache {
  readonly #map = new Map<number, Node>();
  readonly #capacity: number;
  readonly #charge: number;
  #bytes = 0;

  /** `charge` is what one node counts against `capacity` bytes (the page size). */
  constructor(capacity: number, charge: number) {
    this.#capacity = capacity;
    this.#charge = charge;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(pgid: number, txid: number): Node | undefined {
    const n = this.#map.get(pgid);
    if (n === undefined || n.txid !== txid) return undefined;
    this.#map.delete(pgid);
    this.#map.set(pgid, n);
    return n;
  }

  put(n: Node): void {
    if (this.#map.delete(n.pgid)) this.#bytes -= this.#charge;
    if (this.#charge > this.#capacity) return;
    this.#map.set(n.pgid, n);
    this.#bytes += this.#charge;
    while (this.#bytes > this.#capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value);
      this.#bytes -= this.#charge;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
