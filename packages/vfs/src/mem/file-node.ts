// A file in the in-memory filesystem: its current bytes, and what a power
// loss would leave of them. The durable content is what the last sync saw;
// `pending` lists every write and truncate since, in order, so a crash can
// keep any prefix (or, in reorder mode, any subset) of them.
//
// Invariant: durableContent() is the file as of the last sync (or empty).
// Invariant: applying all of `pending` to durableContent() gives current().

import type { Rng } from '../rng.js';

export type PendingFileOp =
  | { readonly kind: 'write'; readonly position: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly size: number };

/** How a crash treats a file's unsynced writes. See CrashOptions. */
export type UnsyncedDataPolicy = 'all' | 'prefix' | 'reorder' | 'none';

export class FileNode {
  readonly kind = 'file';
  #data: Uint8Array;
  #size: number;
  /** The durable content, when it is no longer a prefix of #data; null while it is. */
  #durable: Uint8Array | null = null;
  #durableSize = 0;
  #pending: PendingFileOp[] = [];

  constructor(content?: Uint8Array) {
    this.#data = new Uint8Array(Math.max(64, content?.length ?? 0));
    this.#size = 0;
    if (content !== undefined) {
      this.#data.set(content);
      this.#size = content.length;
      this.#durableSize = content.length;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes written since the last sync (for accounting and tests). */
  get unsyncedOps(): readonly PendingFileOp[] {
    return this.#pending;
  }

  read(position: number, length: number): Uint8Array {
    const end = Math.min(this.#size, position + length);
    if (position >= end) return new Uint8Array(0);
    return this.#data.slice(position, end);
  }

  write(bytes: Uint8Array, position: number): void {
    if (position < this.#durableSize) this.#freezeDurable();
    const end = position + bytes.length;
    this.#ensureCapacity(end);
    if (position > this.#size) this.#data.fill(0, this.#size, position);
    this.#data.set(bytes, position);
    if (end > this.#size) this.#size = end;
    this.#pending.push({ kind: 'write', position, bytes: bytes.slice() });
  }

  truncate(size: number): void {
    if (size < this.#durableSize) this.#freezeDurable();
    if (size > this.#size) {
      this.#ensureCapacity(size);
      this.#data.fill(0, this.#size, size);
    }
    this.#size = size;
    this.#pending.push({ kind: 'truncate', size });
  }

  /** How many writes and truncates are pending; a sync started now covers exactly these. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The first `count` pending ops become durable (a sync that began when there were `count`). */
  syncThrough(count: number): void {
    if (count >= this.#pending.length) {
      this.#durable = null;
      this.#durableSize = this.#size;
      this.#pending = [];
      return;
    }
    if (count <= 0) return;
    const synced = this.#pending.slice(0, count);
    const rest = this.#pending.slice(count);
    if (this.#durable === null && synced.every((op) => op.kind === 'write')) {
      // Fast path for appends: the durable content stays a prefix of #data as
      // long as nothing still pending touches bytes below its new end.
      let end = this.#durableSize;
      for (const op of synced) if (op.kind === 'write') end = Math.max(end, op.position + op.bytes.length);
      if (rest.every((op) => op.kind === 'write' && op.position >= end)) {
        this.#durableSize = end;
        this.#pending = rest;
        return;
      }
    }
    const durable = applyOps(this.durableContent(), synced);
    this.#durable = durable;
    this.#durableSize = durable.length;
    this.#pending = rest;
  }

  /** A copy of the current content. */
  current(): Uint8Array {
    return this.#data.slice(0, this.#size);
  }

  /** A copy of the content as of the last sync. */
  durableContent(): Uint8Array {
    return this.#durable !== null ? this.#durable.slice() : this.#data.slice(0, this.#durableSize);
  }

  /** The content a crash leaves behind, under `policy`, drawing choices from `rng`. */
  afterCrash(policy: UnsyncedDataPolicy, rng: Rng): Uint8Array {
    switch (policy) {
      case 'all':
        return this.current();
      case 'none':
        return this.durableContent();
      case 'prefix': {
        // Keep ops [0, k) whole and, if op k is a write, a torn prefix of it.
        const ops = this.#pending;
        const k = rng.int(ops.length + 1);
        const kept: PendingFileOp[] = ops.slice(0, k);
        const next = ops[k];
        if (next?.kind === 'write' && next.bytes.length > 0) {
          const cut = rng.int(next.bytes.length);
          if (cut > 0) kept.push({ kind: 'write', position: next.position, bytes: next.bytes.subarray(0, cut) });
        }
        return applyOps(this.durableContent(), kept);
      }
      case 'reorder': {
        // Each op independently lands, is lost, or (a write) lands torn.
        const kept: PendingFileOp[] = [];
        for (const op of this.#pending) {
          const r = rng.float();
          if (op.kind === 'truncate') {
            if (r < 0.5) kept.push(op);
          } else if (r < 0.4) {
            kept.push(op);
          } else if (r >= 0.8 && op.bytes.length > 1) {
            const cut = 1 + rng.int(op.bytes.length - 1);
            kept.push({ kind: 'write', position: op.position, bytes: op.bytes.subarray(0, cut) });
          }
        }
        return applyOps(this.durableContent(), kept);
      }
    }
  }

  #freezeDurable(): void {
    if (this.#durable === null) this.#durable = this.#data.slice(0, this.#durableSize);
  }

  #ensureCapacity(n: number): void {
    if (n <= this.#data.length) return;
    let cap = this.#data.length;
    while (cap < n) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.#data.subarray(0, this.#size));
    this.#data = grown;
  }
}

/** Applies `ops` in order to `base`, which it may modify in place; returns the result. */
export function applyOps(base: Uint8Array, ops: readonly PendingFileOp[]): Uint8Array {
  let content = base;
  for (const op of ops) {
    if (op.kind === 'truncate') {
      const next = new Uint8Array(op.size);
      next.set(content.subarray(0, Math.min(op.size, content.length)));
      content = next;
    } else {
      const end = op.position + op.bytes.length;
      if (end > content.length) {
        const next = new Uint8Array(end);
        next.set(content);
        content = next;
      }
      content.set(op.bytes, op.position);
    }
  }
  return content;
}
