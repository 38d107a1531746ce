// An ordered set of internal-key entries: a skiplist (Pugh), as in LevelDB's
// memtable. Inserts never move existing nodes, so a cursor stays valid while
// writes go on; there are no removals. Keys are unique internal keys (every
// op of every batch has its own sequence number).
//
// Single-threaded: inserts and cursor moves are synchronous and never
// interleave mid-call.

import { compareInternal } from '../keys/internal-key.js';

const MAX_HEIGHT = 12;
/** 1 in BRANCHING nodes grows one level taller. */
const BRANCHING = 4;

export class SkipNode {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly next: (SkipNode | null)[];
  constructor(key: Uint8Array, value: Uint8Array, height: number) {
    this.key = key;
    this.value = value;
    this.next = new Array<SkipNode | null>(height).fill(null);
  }
}

export class SkipList {
  readonly head = new SkipNode(new Uint8Array(0), new Uint8Array(0), MAX_HEIGHT);
  #height = 1;
  #count = 0;
  /** xorshift32 state for node heights; deterministic, so runs replay. */
  #rnd = 0x2545f491;
  /** Scratch array of the predecessors found by the last search. */
  readonly #prev: SkipNode[] = new Array<SkipNode>(MAX_HEIGHT).fill(this.head);

  get count(): number {
    return this.#count;
  }

  #randomHeight(): number {
    let h = 1;
    while (h < MAX_HEIGHT) {
      let x = this.#rnd;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#rnd = x >>> 0;
      if (this.#rnd % BRANCHING !== 0) break;
      h++;
    }
    return h;
  }

  /** Inserts (key, value). The key must not be present already. */
  insert(key: Uint8Array, value: Uint8Array): void {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level] as SkipNode | null;
        if (n === null || compareInternal(n.key, key) >= 0) break;
        x = n;
      }
      this.#prev[level] = x;
    }
    const height = this.#randomHeight();
    if (height > this.#height) {
      for (let level = this.#height; level < height; level++) this.#prev[level] = this.head;
      this.#height = height;
    }
    const node = new SkipNode(key, value, height);
    for (let level = 0; level < height; level++) {
      const p = this.#prev[level] as SkipNode;
      node.next[level] = p.next[level] as SkipNode | null;
      p.next[level] = node;
    }
    this.#count++;
  }

  /** The first node whose key is >= `key`, or null. */
  seekGE(key: Uint8Array): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level] as SkipNode | null;
        if (n === null || compareInternal(n.key, key) >= 0) break;
        x = n;
      }
    }
    return x.next[0] as SkipNode | null;
  }

  /** The last node whose key is < `key`, or null. */
  seekLT(key: Uint8Array): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level] as SkipNode | null;
        if (n === null || compareInternal(n.key, key) >= 0) break;
        x = n;
      }
    }
    return x === this.head ? null : x;
  }

  /** The last node whose key is <= `key`, or null. */
  seekLE(key: Uint8Array): SkipNode | null {
    const ge = this.seekGE(key);
    if (ge !== null && compareInternal(ge.key, key) === 0) return ge;
    return this.seekLT(key);
  }

  first(): SkipNode | null {
    return this.head.next[0] as SkipNode | null;
  }

  last(): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level] as SkipNode | null;
        if (n === null) break;
        x = n;
      }
    }
    return x === this.head ? null : x;
  }
}
