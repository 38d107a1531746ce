// The reference model the engines are checked against: per table, a map
// from key (as hex, whose order matches bytewise order) to value. It has
// no snapshots of its own; a snapshot is a copy.

import { compareBytes, prefixEnd, toHex } from '../bytes.js';
import type { Entry, ScanOptions, WriteOp } from '../storage-engine.js';

export class ModelStore {
  readonly #tables = new Map<string, Map<string, Entry>>();

  constructor(tables: readonly string[]) {
    for (const t of tables) this.#tables.set(t, new Map());
  }

  clone(): ModelStore {
    const out = new ModelStore([]);
    for (const [t, m] of this.#tables) out.#tables.set(t, new Map(m));
    return out;
  }

  apply(ops: readonly WriteOp[]): void {
    for (const op of ops) {
      const t = this.#tables.get(op.table) as Map<string, Entry>;
      switch (op.type) {
        case 'put':
          t.set(toHex(op.key), { key: op.key.slice(), value: op.value.slice() });
          break;
        case 'delete':
          t.delete(toHex(op.key));
          break;
        case 'deleteRange':
          for (const [k, e] of t) if (compareBytes(e.key, op.start) >= 0 && compareBytes(e.key, op.end) < 0) t.delete(k);
          break;
      }
    }
  }

  get(table: string, key: Uint8Array): Uint8Array | undefined {
    return this.#tables.get(table)?.get(toHex(key))?.value;
  }

  scan(table: string, options: ScanOptions = {}): Entry[] {
    let lower = options.start;
    let upper = options.end;
    if (options.prefix !== undefined) {
      if (lower === undefined || compareBytes(options.prefix, lower) > 0) lower = options.prefix;
      const pe = prefixEnd(options.prefix);
      if (pe !== undefined && (upper === undefined || compareBytes(pe, upper) < 0)) upper = pe;
    }
    const entries = [...(this.#tables.get(table)?.values() ?? [])]
      .filter((e) => (lower === undefined || compareBytes(e.key, lower) >= 0) && (upper === undefined || compareBytes(e.key, upper) < 0))
      .sort((a, b) => compareBytes(a.key, b.key));
    if (options.reverse === true) entries.reverse();
    return entries.slice(0, options.limit ?? entries.length);
  }

  /** Every table's entries, for whole-state comparison. */
  dump(): Record<string, [string, string][]> {
    const out: Record<string, [string, string][]> = {};
    for (const t of [...this.#tables.keys()].sort()) out[t] = this.scan(t).map((e) => [toHex(e.key), toHex(e.value)]);
    return out;
  }
}

/**
 * The model's state, as JSON of dump(), after each prefix of `pending`
 * batches (none, the first, the first two, ...): what an engine may recover
 * to when those batches were refused or unacknowledged.
 */
export function dumpsAfterPrefixes(model: ModelStore, pending: readonly (readonly WriteOp[])[]): string[] {
  const out = [JSON.stringify(model.dump())];
  const m = model.clone();
  for (const ops of pending) {
    m.apply(ops);
    out.push(JSON.stringify(m.dump()));
  }
  return out;
}
