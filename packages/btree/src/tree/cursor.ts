// A cursor over one table of one committed version: a stack of (node, index)
// frames from the root to the current leaf entry. Reads go through the pager,
// so every page is verified and counted. Leaves are never empty in a written
// tree, but the cursor steps over empty ones anyway.

import type { TableRoot } from '../format/catalog.js';
import type { Pager } from '../store/pager.js';
import { childIndex, lowerBound, type Node, type Val } from './node.js';

interface Frame {
  readonly node: Node;
  i: number;
}

export class Cursor {
  readonly #pager: Pager;
  readonly #root: TableRoot;
  readonly #stack: Frame[] = [];

  constructor(pager: Pager, root: TableRoot) {
    this.#pager = pager;
    this.#root = root;
  }

  get valid(): boolean {
    const top = this.#stack[this.#stack.length - 1];
    return top !== undefined && top.node.leaf && top.i >= 0 && top.i < top.node.keys.length;
  }

  #leaf(): Frame {
    return this.#stack[this.#stack.length - 1] as Frame;
  }

  key(): Uint8Array {
    const f = this.#leaf();
    return f.node.keys[f.i] as Uint8Array;
  }

  val(): Val {
    const f = this.#leaf();
    return f.node.vals[f.i] as Val;
  }

  #descend(pgid: number, txid: number, rightmost: boolean): void {
    for (;;) {
      const node = this.#pager.node(pgid, txid);
      const i = rightmost ? (node.leaf ? node.keys.length : node.kids.length) - 1 : 0;
      this.#stack.push({ node, i });
      if (node.leaf) break;
      pgid = node.kids[i] as number;
      txid = node.gens[i] as number;
    }
    const f = this.#leaf();
    if (f.node.keys.length === 0) {
      if (rightmost) this.prev();
      else this.next();
    }
  }

  seekFirst(): void {
    this.#stack.length = 0;
    if (this.#root.root !== 0) this.#descend(this.#root.root, this.#root.txid, false);
  }

  seekLast(): void {
    this.#stack.length = 0;
    if (this.#root.root !== 0) this.#descend(this.#root.root, this.#root.txid, true);
  }

  /** Positions at the first key >= `key`. */
  seekGE(key: Uint8Array): void {
    this.#stack.length = 0;
    if (this.#root.root === 0) return;
    let pgid = this.#root.root;
    let txid = this.#root.txid;
    for (;;) {
      const node = this.#pager.node(pgid, txid);
      if (node.leaf) {
        const i = lowerBound(node.keys, key);
        this.#stack.push({ node, i });
        if (i >= node.keys.length) this.next();
        return;
      }
      const i = childIndex(node.keys, key);
      this.#stack.push({ node, i });
      pgid = node.kids[i] as number;
      txid = node.gens[i] as number;
    }
  }

  /** Positions at the last key < `key`. */
  seekLT(key: Uint8Array): void {
    this.seekGE(key);
    if (this.valid) this.prev();
    else this.seekLast();
  }

  next(): void {
    const leaf = this.#stack[this.#stack.length - 1];
    if (leaf === undefined) return;
    leaf.i++;
    if (leaf.i < leaf.node.keys.length) return;
    this.#stack.pop();
    for (;;) {
      const f = this.#stack[this.#stack.length - 1];
      if (f === undefined) return;
      f.i++;
      if (f.i < f.node.kids.length) {
        this.#descend(f.node.kids[f.i] as number, f.node.gens[f.i] as number, false);
        return;
      }
      this.#stack.pop();
    }
  }

  prev(): void {
    const leaf = this.#stack[this.#stack.length - 1];
    if (leaf === undefined) return;
    leaf.i--;
    if (leaf.i >= 0 && leaf.i < leaf.node.keys.length) return;
    this.#stack.pop();
    for (;;) {
      const f = this.#stack[this.#stack.length - 1];
      if (f === undefined) return;
      f.i--;
      if (f.i >= 0) {
        this.#descend(f.node.kids[f.i] as number, f.node.gens[f.i] as number, true);
        return;
      }
      this.#stack.pop();
    }
  }
}
