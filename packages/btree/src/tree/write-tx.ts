// One write transaction: the batches of a commit group applied copy-on-write.
// A node on the path to any change is materialized as a mutable copy; clean
// subtrees stay where they are. commit() then rebalances (drops empty nodes,
// merges nodes under a quarter page into a sibling, collapses a root with one
// child), and spills bottom-up: oversized nodes split evenly, every
// materialized node goes to a freshly allocated page, and the parent records
// each new child's page and txid. Every page the transaction stops using is
// reported through freed(); it becomes reusable only through the Freelist's
// rules. Nothing is allocated or written before commit(), so a transaction
// that throws before it leaves no trace.

import { bytesEqual, compareBytes } from '@strata/engine';
import { EMPTY_TABLE, type TableRoot } from '../format/catalog.js';
import { PAGE_HEADER_SIZE, PageType, maxInlineEntry } from '../format/format.js';
import { encodeNode, entrySize, leafEntrySize, type NodeEntries } from '../format/node-codec.js';
import { seal, writeHeader } from '../format/page.js';
import type { Freelist } from '../store/freelist.js';
import type { Pager } from '../store/pager.js';
import { childIndex, lowerBound, Overflow, type Val } from './node.js';

/**
 * A node being rewritten. Branch entry i pairs keys[i] with child page
 * kids[i], written by gens[i], and subs[i], the child once this transaction
 * materialized it. Parallel arrays rather than an object per child: a 16 KiB
 * branch has hundreds of children, and commits rewrite many branches.
 */
class MNode {
  constructor(
    public leaf: boolean,
    public keys: Uint8Array[],
    public vals: Val[],
    public kids: number[],
    public gens: number[],
    public subs: (MNode | undefined)[],
    /** The page this node was read from, freed when it is rewritten or dropped; 0 for a new node. */
    public origin: number,
    /** The txid that wrote the origin page. */
    public originTxid: number,
  ) {}

  get count(): number {
    return this.keys.length;
  }

  /** Removes `n` branch entries from `i`. */
  removeKids(i: number, n: number): void {
    this.keys.splice(i, n);
    this.kids.splice(i, n);
    this.gens.splice(i, n);
    this.subs.splice(i, n);
  }
}

const emptyLeaf = (): MNode => new MNode(true, [], [], [], [], [], 0, 0);

/** Where a spilled node went: its first key, page and txid. */
interface Placed {
  readonly key: Uint8Array;
  readonly pgid: number;
  readonly txid: number;
}

interface TxTable {
  /** The materialized root, if touched; otherwise `ref` is the root. */
  root: MNode | undefined;
  ref: { pgid: number; txid: number };
  keys: number;
  bytes: number;
  changed: boolean;
}

function valLength(v: Val): number {
  return v.length;
}

export class WriteTx {
  readonly txid: number;
  readonly #pager: Pager;
  readonly #freelist: Freelist;
  readonly #catalog: ReadonlyMap<string, TableRoot>;
  readonly #tables = new Map<string, TxTable>();
  readonly #freed: [number, number, number][] = [];
  readonly #pageSize: number;
  readonly #maxInline: number;
  readonly #minFill: number;

  constructor(pager: Pager, freelist: Freelist, txid: number, catalog: ReadonlyMap<string, TableRoot>) {
    this.txid = txid;
    this.#pager = pager;
    this.#freelist = freelist;
    this.#catalog = catalog;
    this.#pageSize = pager.pageSize;
    this.#maxInline = maxInlineEntry(pager.pageSize);
    this.#minFill = pager.pageSize / 4;
  }

  /** Page runs ([pgid, span, txid that wrote them]) this transaction stopped using. */
  freed(): readonly (readonly [number, number, number])[] {
    return this.#freed;
  }

  #table(name: string): TxTable {
    let t = this.#tables.get(name);
    if (t === undefined) {
      const r = this.#catalog.get(name) ?? EMPTY_TABLE;
      t = { root: undefined, ref: { pgid: r.root, txid: r.txid }, keys: r.keys, bytes: r.bytes, changed: false };
      this.#tables.set(name, t);
    }
    return t;
  }

  #materialize(pgid: number, txid: number): MNode {
    const n = this.#pager.node(pgid, txid);
    const subs: (MNode | undefined)[] = n.leaf ? [] : new Array<MNode | undefined>(n.kids.length).fill(undefined);
    return new MNode(n.leaf, n.keys.slice(), n.vals.slice(), n.kids.slice(), n.gens.slice(), subs, pgid, txid);
  }

  /** Child i of branch `n`, materialized. */
  #kidNode(n: MNode, i: number): MNode {
    let sub = n.subs[i];
    if (sub === undefined) {
      sub = this.#materialize(n.kids[i] as number, n.gens[i] as number);
      n.subs[i] = sub;
    }
    return sub;
  }

  #rootNode(t: TxTable): MNode {
    if (t.root === undefined) {
      t.root = t.ref.pgid === 0 ? emptyLeaf() : this.#materialize(t.ref.pgid, t.ref.txid);
    }
    return t.root;
  }

  #free(pgid: number, span: number, birth: number): void {
    this.#freed.push([pgid, span, birth]);
  }

  #dropOrigin(n: MNode): void {
    if (n.origin !== 0) this.#free(n.origin, 1, n.originTxid);
    n.origin = 0;
  }

  /** The leaf that holds or would hold `key`, materializing the path. */
  #leafFor(t: TxTable, key: Uint8Array): MNode {
    let n = this.#rootNode(t);
    while (!n.leaf) n = this.#kidNode(n, childIndex(n.keys, key));
    return n;
  }

  /** The value of `key` as this transaction sees it, without materializing anything. */
  #find(t: TxTable, key: Uint8Array): Val | undefined {
    let pgid = t.ref.pgid;
    let txid = t.ref.txid;
    let m = t.root;
    while (m !== undefined) {
      if (m.leaf) {
        const j = lowerBound(m.keys, key);
        return j < m.count && bytesEqual(m.keys[j] as Uint8Array, key) ? m.vals[j] : undefined;
      }
      const i = childIndex(m.keys, key);
      pgid = m.kids[i] as number;
      txid = m.gens[i] as number;
      m = m.subs[i];
    }
    if (pgid === 0) return undefined;
    for (;;) {
      const n = this.#pager.node(pgid, txid);
      if (n.leaf) {
        const j = lowerBound(n.keys, key);
        return j < n.keys.length && bytesEqual(n.keys[j] as Uint8Array, key) ? n.vals[j] : undefined;
      }
      const i = childIndex(n.keys, key);
      pgid = n.kids[i] as number;
      txid = n.gens[i] as number;
    }
  }

  put(table: string, key: Uint8Array, value: Uint8Array): void {
    const t = this.#table(table);
    const leaf = this.#leafFor(t, key);
    const j = lowerBound(leaf.keys, key);
    if (j < leaf.count && bytesEqual(leaf.keys[j] as Uint8Array, key)) {
      const old = leaf.vals[j] as Val;
      if (old instanceof Overflow) this.#free(old.pgid, old.span, old.txid);
      t.bytes += value.length - valLength(old);
      leaf.vals[j] = value;
    } else {
      leaf.keys.splice(j, 0, key);
      leaf.vals.splice(j, 0, value);
      t.keys++;
      t.bytes += key.length + value.length;
    }
    t.changed = true;
  }

  delete(table: string, key: Uint8Array): void {
    const t = this.#table(table);
    if (this.#find(t, key) === undefined) return;
    const leaf = this.#leafFor(t, key);
    const j = lowerBound(leaf.keys, key);
    const old = leaf.vals[j] as Val;
    if (old instanceof Overflow) this.#free(old.pgid, old.span, old.txid);
    t.keys--;
    t.bytes -= key.length + valLength(old);
    leaf.keys.splice(j, 1);
    leaf.vals.splice(j, 1);
    t.changed = true;
  }

  /** Deletes every key in [start, end). */
  deleteRange(table: string, start: Uint8Array, end: Uint8Array): void {
    if (compareBytes(start, end) >= 0) return;
    const t = this.#table(table);
    if (t.root === undefined && t.ref.pgid === 0) return;
    if (t.root === undefined) {
      const first = this.#firstAtLeast(t.ref.pgid, t.ref.txid, start);
      if (first === undefined || compareBytes(first, end) >= 0) return;
    }
    const root = this.#rootNode(t);
    this.#deleteIn(t, root, start, end);
    if (!root.leaf && root.count === 0) {
      // Every child went: the table is empty, and later ops in this transaction need a leaf to land in.
      this.#dropOrigin(root);
      t.root = emptyLeaf();
    }
    t.changed = true;
  }

  /** The first key >= `lo` in a clean subtree, or undefined. */
  #firstAtLeast(pgid: number, txid: number, lo: Uint8Array): Uint8Array | undefined {
    const n = this.#pager.node(pgid, txid);
    if (n.leaf) return n.keys[lowerBound(n.keys, lo)];
    for (let i = childIndex(n.keys, lo); i < n.kids.length; i++) {
      const k = this.#firstAtLeast(n.kids[i] as number, n.gens[i] as number, lo);
      if (k !== undefined) return k;
    }
    return undefined;
  }

  #deleteIn(t: TxTable, n: MNode, lo: Uint8Array, hi: Uint8Array): void {
    if (n.leaf) {
      const a = lowerBound(n.keys, lo);
      const b = lowerBound(n.keys, hi);
      for (let j = a; j < b; j++) {
        const v = n.vals[j] as Val;
        if (v instanceof Overflow) this.#free(v.pgid, v.span, v.txid);
        t.keys--;
        t.bytes -= (n.keys[j] as Uint8Array).length + valLength(v);
      }
      n.keys.splice(a, b - a);
      n.vals.splice(a, b - a);
      return;
    }
    let i = childIndex(n.keys, lo);
    while (i < n.kids.length) {
      // Child i covers [keys[i], keys[i+1]); child 0 also everything below.
      if (i > 0 && compareBytes(n.keys[i] as Uint8Array, hi) >= 0) break;
      const clean = n.subs[i] === undefined;
      const next = n.keys[i + 1];
      const covered = (lo.length === 0 || (i > 0 && compareBytes(n.keys[i] as Uint8Array, lo) >= 0)) && next !== undefined && compareBytes(next, hi) <= 0;
      if (covered && clean) {
        this.#dropSubtree(t, n.kids[i] as number, n.gens[i] as number);
        n.removeKids(i, 1);
        continue;
      }
      if (clean) {
        const first = this.#firstAtLeast(n.kids[i] as number, n.gens[i] as number, lo);
        if (first === undefined || compareBytes(first, hi) >= 0) {
          i++;
          continue;
        }
      }
      const child = this.#kidNode(n, i);
      this.#deleteIn(t, child, lo, hi);
      if (child.count === 0) {
        this.#dropOrigin(child);
        n.removeKids(i, 1);
        continue;
      }
      i++;
    }
  }

  /** Frees every page of a clean subtree and takes its entries out of the table's counts. */
  #dropSubtree(t: TxTable, pgid: number, txid: number): void {
    const n = this.#pager.node(pgid, txid);
    if (n.leaf) {
      for (let j = 0; j < n.keys.length; j++) {
        const v = n.vals[j] as Val;
        if (v instanceof Overflow) this.#free(v.pgid, v.span, v.txid);
        t.keys--;
        t.bytes -= (n.keys[j] as Uint8Array).length + valLength(v);
      }
    } else {
      for (let i = 0; i < n.kids.length; i++) this.#dropSubtree(t, n.kids[i] as number, n.gens[i] as number);
    }
    this.#free(pgid, 1, txid);
  }

  /** Whether `n` fills less than the merge threshold (a quarter page); stops counting once it does not. */
  #underfull(n: MNode): boolean {
    let size = PAGE_HEADER_SIZE;
    for (let i = 0; i < n.count && size < this.#minFill; i++) size += entrySize(n, i);
    return size < this.#minFill;
  }

  /** Post-order: drops empty children and merges underfull ones into a sibling. */
  #rebalance(n: MNode): void {
    if (n.leaf) return;
    for (const sub of n.subs) if (sub !== undefined) this.#rebalance(sub);
    let i = 0;
    while (i < n.kids.length) {
      const child = n.subs[i];
      if (child === undefined) {
        i++;
        continue;
      }
      if (child.count === 0) {
        this.#dropOrigin(child);
        n.removeKids(i, 1);
        continue;
      }
      if (n.kids.length > 1 && this.#underfull(child)) {
        const li = i > 0 ? i - 1 : i;
        const left = this.#kidNode(n, li);
        const right = this.#kidNode(n, li + 1);
        left.keys.push(...right.keys);
        if (left.leaf) left.vals.push(...right.vals);
        else {
          left.kids.push(...right.kids);
          left.gens.push(...right.gens);
          left.subs.push(...right.subs);
        }
        this.#dropOrigin(right);
        n.removeKids(li + 1, 1);
        i = li + 1;
        continue;
      }
      i++;
    }
  }

  /** Moves values too large to stay inline into overflow runs. */
  #moveOverflow(n: MNode): void {
    for (let j = 0; j < n.count; j++) {
      const v = n.vals[j] as Val;
      if (v instanceof Overflow || leafEntrySize(n.keys[j] as Uint8Array, v) <= this.#maxInline) continue;
      const span = Math.ceil((PAGE_HEADER_SIZE + v.length) / this.#pageSize);
      const pgid = this.#freelist.allocate(span);
      const run = new Uint8Array(span * this.#pageSize);
      writeHeader(new DataView(run.buffer), { type: PageType.Overflow, flags: 0, count: 0, pgid, span, txid: this.txid });
      run.set(v, PAGE_HEADER_SIZE);
      seal(run, this.#pager.checksum);
      this.#pager.write(pgid, run, 'overflow');
      n.vals[j] = new Overflow(pgid, span, this.txid, v.length);
    }
  }

  /** Entry ranges [from, to) that each fit one page, as even as the entry sizes allow. */
  #split(e: NodeEntries, count: number): [number, number][] {
    const body = this.#pageSize - PAGE_HEADER_SIZE;
    const sizes: number[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const s = entrySize(e, i);
      sizes.push(s);
      total += s;
    }
    if (total <= body) return [[0, count]];
    const target = total / Math.ceil(total / body);
    const out: [number, number][] = [];
    let from = 0;
    let acc = 0;
    for (let i = 0; i < count; i++) {
      const s = sizes[i] as number;
      if (i > from && (acc + s > body || acc >= target)) {
        out.push([from, i]);
        from = i;
        acc = 0;
      }
      acc += s;
    }
    out.push([from, count]);
    return out;
  }

  /** Writes `n` (and first its materialized children) to new pages. */
  #spill(n: MNode): Placed[] {
    if (!n.leaf) {
      const keys: Uint8Array[] = [];
      const kids: number[] = [];
      const gens: number[] = [];
      for (let i = 0; i < n.kids.length; i++) {
        const sub = n.subs[i];
        if (sub === undefined) {
          keys.push(n.keys[i] as Uint8Array);
          kids.push(n.kids[i] as number);
          gens.push(n.gens[i] as number);
          continue;
        }
        for (const p of this.#spill(sub)) {
          keys.push(p.key);
          kids.push(p.pgid);
          gens.push(p.txid);
        }
      }
      n.keys = keys;
      n.kids = kids;
      n.gens = gens;
      n.subs = new Array<MNode | undefined>(kids.length).fill(undefined);
    } else {
      this.#moveOverflow(n);
    }
    this.#dropOrigin(n);
    if (n.count === 0) return [];
    const placed: Placed[] = [];
    for (const [from, to] of this.#split(n, n.count)) {
      const pgid = this.#freelist.allocate(1);
      const page = new Uint8Array(this.#pageSize);
      this.#pager.writeNode(page, encodeNode(page, n, from, to, pgid, this.txid));
      placed.push({ key: n.keys[from] as Uint8Array, pgid, txid: this.txid });
    }
    return placed;
  }

  /**
   * Rebalances and writes every changed table; returns the new catalog
   * (untouched tables as they were). Allocates pages and writes them: a
   * failure from here on leaves the file in an unknown state.
   */
  commit(): Map<string, TableRoot> {
    const out = new Map(this.#catalog);
    for (const [name, t] of this.#tables) {
      if (!t.changed) continue;
      let root = t.root;
      if (root !== undefined) {
        this.#rebalance(root);
        for (;;) {
          if (root.count === 0) {
            this.#dropOrigin(root);
            root = undefined;
            t.ref = { pgid: 0, txid: 0 };
            break;
          }
          if (!root.leaf && root.count === 1) {
            this.#dropOrigin(root);
            const only = { pgid: root.kids[0] as number, txid: root.gens[0] as number };
            root = root.subs[0];
            if (root === undefined) {
              t.ref = only;
              break;
            }
            continue;
          }
          break;
        }
        if (root !== undefined) {
          let placed = this.#spill(root);
          while (placed.length > 1) {
            const above = new MNode(false, placed.map((p) => p.key), [], placed.map((p) => p.pgid), placed.map((p) => p.txid), placed.map(() => undefined), 0, 0);
            placed = this.#spill(above);
          }
          const top = placed[0];
          t.ref = top === undefined ? { pgid: 0, txid: 0 } : { pgid: top.pgid, txid: top.txid };
        }
      }
      out.set(name, { root: t.ref.pgid, txid: t.ref.txid, keys: t.keys, bytes: t.bytes });
    }
    return out;
  }
}
