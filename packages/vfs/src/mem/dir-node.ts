// A directory in the in-memory filesystem: its current entries, and what a
// power loss would leave of them. `durable` is the entry map as of the last
// completed syncDir; `pending` lists every link, unlink and rename since, in
// order. A crash keeps a random prefix of `pending` (a journaling filesystem
// commits metadata in order), so an unsynced create, rename or remove may be
// undone, but a same-directory rename is never half done.
//
// Invariant: applying all of `pending` to `durable` gives `entries`.

import type { Rng } from '../rng.js';
import type { FileNode } from './file-node.js';

export type Node = FileNode | DirNode;

export type PendingDirOp =
  | { readonly kind: 'link'; readonly name: string; readonly node: Node }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string };

/** How a crash treats a directory's unsynced changes: keep all, a random prefix, or none. */
export type UnsyncedDirPolicy = 'all' | 'prefix' | 'none';

export class DirNode {
  readonly kind = 'dir';
  /** The current entries: what lookups see. */
  readonly entries = new Map<string, Node>();
  #durable = new Map<string, Node>();
  #pending: PendingDirOp[] = [];

  get pendingCount(): number {
    return this.#pending.length;
  }

  link(name: string, node: Node): void {
    this.entries.set(name, node);
    this.#pending.push({ kind: 'link', name, node });
  }

  unlink(name: string): void {
    this.entries.delete(name);
    this.#pending.push({ kind: 'unlink', name });
  }

  /** Renames within this directory, replacing any entry at `to`, as one atomic change. */
  renameWithin(from: string, to: string): void {
    const node = this.entries.get(from);
    if (node === undefined) return;
    this.entries.delete(from);
    this.entries.set(to, node);
    this.#pending.push({ kind: 'rename', from, to });
  }

  /** The first `count` pending changes become durable (a syncDir that began when there were `count`). */
  syncThrough(count: number): void {
    if (count >= this.#pending.length) {
      this.#durable = new Map(this.entries);
      this.#pending = [];
      return;
    }
    this.#durable = applyDirOps(this.#durable, this.#pending.slice(0, count));
    this.#pending = this.#pending.slice(count);
  }

  /** The entries a crash leaves behind, under `policy`. */
  entriesAfterCrash(policy: UnsyncedDirPolicy, rng: Rng): Map<string, Node> {
    switch (policy) {
      case 'all':
        return new Map(this.entries);
      case 'none':
        return new Map(this.#durable);
      case 'prefix':
        return applyDirOps(this.#durable, this.#pending.slice(0, rng.int(this.#pending.length + 1)));
    }
  }
}

function applyDirOps(base: ReadonlyMap<string, Node>, ops: readonly PendingDirOp[]): Map<string, Node> {
  const out = new Map(base);
  for (const op of ops) {
    switch (op.kind) {
      case 'link':
        out.set(op.name, op.node);
        break;
      case 'unlink':
        out.delete(op.name);
        break;
      case 'rename': {
        const node = out.get(op.from);
        if (node === undefined) break;
        out.delete(op.from);
        out.set(op.to, node);
        break;
      }
    }
  }
  return out;
}
