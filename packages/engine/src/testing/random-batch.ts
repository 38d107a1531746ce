// Seeded random write batches for engine tests (fault injection, crash
// points): puts, deletes and range deletes over a small key space, so batches
// overwrite and delete each other's keys.

import type { Rng } from '@strata/vfs';
import type { WriteOp } from '../storage-engine.js';

export interface BatchShape {
  readonly tables: readonly string[];
  /** Ops per batch, in [lo, hi). */
  readonly ops: readonly [number, number];
  /** Distinct keys: "k" and a zero-padded number below this. */
  readonly keys: number;
  /** Value length, in [lo, hi). */
  readonly value: readonly [number, number];
  /** How often a value is large instead, and its length in [lo, hi). */
  readonly large?: { readonly chance: number; readonly value: readonly [number, number] };
  /** Chance an op is a put, and a delete; the rest are range deletes. */
  readonly put: number;
  readonly delete: number;
}

const enc = new TextEncoder();

export function randomWriteBatch(rng: Rng, shape: BatchShape): WriteOp[] {
  const digits = String(shape.keys - 1).length;
  const key = (): Uint8Array => enc.encode(`k${String(rng.int(shape.keys)).padStart(digits, '0')}`);
  const ops: WriteOp[] = [];
  for (let n = rng.range(shape.ops[0], shape.ops[1]); n > 0; n--) {
    const table = rng.pick(shape.tables);
    const r = rng.float();
    if (r < shape.put) {
      const k = key();
      const big = shape.large;
      const [lo, hi] = big !== undefined && rng.chance(big.chance) ? big.value : shape.value;
      ops.push({ type: 'put', table, key: k, value: rng.bytes(rng.range(lo, hi)) });
    } else if (r < shape.put + shape.delete) ops.push({ type: 'delete', table, key: key() });
    else {
      const [a, b] = [key(), key()].sort((x, y) => Buffer.compare(x, y)) as [Uint8Array, Uint8Array];
      ops.push({ type: 'deleteRange', table, start: a, end: b });
    }
  }
  return ops;
}
