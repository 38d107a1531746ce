// Argument checks every engine runs before touching its state, so that bad
// input gets the same typed error from every engine and changes nothing.

import { compareBytes, prefixEnd } from './bytes.js';
import { InvalidArgument, TableNotFound } from './errors.js';
import type { EngineLimits, ScanOptions, WriteOp, WriteOptions } from './storage-engine.js';

/** A scan's resolved range: [lower, upper), either side open when undefined. */
export interface ScanRange {
  readonly lower: Uint8Array | undefined;
  readonly upper: Uint8Array | undefined;
  readonly reverse: boolean;
  readonly limit: number;
  /** True when the range can hold no key. */
  readonly empty: boolean;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor.name})`;
  return `a ${typeof value}`;
}

/** Checks the table list given at open: non-empty, unique, names of 1-64 characters from [A-Za-z0-9_.-]. */
export function checkTableNames(tables: unknown): readonly string[] {
  if (!Array.isArray(tables) || tables.length === 0) {
    throw new InvalidArgument('tables must be a non-empty array of table names');
  }
  const seen = new Set<string>();
  for (const t of tables) {
    if (typeof t !== 'string' || !TABLE_NAME.test(t)) {
      throw new InvalidArgument(`table name ${JSON.stringify(t)} must be 1-64 characters from [A-Za-z0-9_.-]`);
    }
    if (seen.has(t)) throw new InvalidArgument(`table ${JSON.stringify(t)} is declared twice`);
    seen.add(t);
  }
  return [...(tables as string[])];
}

export function checkTable(table: unknown, tables: ReadonlySet<string> | ReadonlyMap<string, unknown>): string {
  if (typeof table !== 'string') throw new InvalidArgument(`table must be a string, got ${describe(table)}`);
  if (!tables.has(table)) throw new TableNotFound(table);
  return table;
}

export function checkKey(key: unknown, limits: EngineLimits, what = 'key'): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new InvalidArgument(`${what} must be a Uint8Array, got ${describe(key)}`);
  if (key.length > limits.maxKeySize) {
    throw new InvalidArgument(`${what} is ${key.length} bytes; the limit is ${limits.maxKeySize}`);
  }
  return key;
}

export function checkValue(value: unknown, limits: EngineLimits): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgument(`value must be a Uint8Array, got ${describe(value)}`);
  if (value.length > limits.maxValueSize) {
    throw new InvalidArgument(`value is ${value.length} bytes; the limit is ${limits.maxValueSize}`);
  }
  return value;
}

export function checkKeys(keys: unknown, limits: EngineLimits): readonly Uint8Array[] {
  if (!Array.isArray(keys)) throw new InvalidArgument(`keys must be an array, got ${describe(keys)}`);
  for (let i = 0; i < keys.length; i++) checkKey(keys[i], limits, `keys[${i}]`);
  return keys as Uint8Array[];
}

/** Checks a whole batch before any of it is applied. */
export function checkWriteBatch(
  ops: unknown,
  tables: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  limits: EngineLimits,
): readonly WriteOp[] {
  if (!Array.isArray(ops)) throw new InvalidArgument(`a write batch must be an array of ops, got ${describe(ops)}`);
  for (let i = 0; i < ops.length; i++) {
    const op: unknown = ops[i];
    if (typeof op !== 'object' || op === null) throw new InvalidArgument(`op ${i} must be an object, got ${describe(op)}`);
    const o = op as Record<string, unknown>;
    checkTable(o['table'], tables);
    switch (o['type']) {
      case 'put':
        checkKey(o['key'], limits);
        checkValue(o['value'], limits);
        break;
      case 'delete':
        checkKey(o['key'], limits);
        break;
      case 'deleteRange': {
        const start = checkKey(o['start'], limits, 'deleteRange start');
        const end = checkKey(o['end'], limits, 'deleteRange end');
        if (compareBytes(start, end) > 0) throw new InvalidArgument(`op ${i}: deleteRange start is after end`);
        break;
      }
      default:
        throw new InvalidArgument(`op ${i} has unknown type ${JSON.stringify(o['type'])}`);
    }
  }
  return ops as WriteOp[];
}

/** A copy of a checked op whose keys and values the caller may reuse once write() returns. */
export function copyWriteOp(op: WriteOp): WriteOp {
  switch (op.type) {
    case 'put':
      return { type: 'put', table: op.table, key: op.key.slice(), value: op.value.slice() };
    case 'delete':
      return { type: 'delete', table: op.table, key: op.key.slice() };
    case 'deleteRange':
      return { type: 'deleteRange', table: op.table, start: op.start.slice(), end: op.end.slice() };
  }
}

export function checkWriteOptions(options: unknown): { readonly sync: boolean } {
  if (options === undefined) return { sync: false };
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgument(`write options must be an object, got ${describe(options)}`);
  }
  const sync = (options as WriteOptions).sync;
  if (sync !== undefined && typeof sync !== 'boolean') throw new InvalidArgument('write option sync must be a boolean');
  return { sync: sync === true };
}

/** Checks scan options and resolves them to one range. */
export function resolveScanRange(options: unknown, limits: EngineLimits): ScanRange {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgument(`scan options must be an object, got ${describe(options)}`);
  }
  const o = (options ?? {}) as ScanOptions;
  let lower = o.start === undefined ? undefined : checkKey(o.start, limits, 'scan start');
  let upper = o.end === undefined ? undefined : checkKey(o.end, limits, 'scan end');
  if (lower !== undefined && upper !== undefined && compareBytes(lower, upper) > 0) {
    throw new InvalidArgument('scan start is after end');
  }
  if (o.reverse !== undefined && typeof o.reverse !== 'boolean') throw new InvalidArgument('scan option reverse must be a boolean');
  const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new InvalidArgument(`scan limit must be a non-negative integer, got ${String(o.limit)}`);
  }
  if (o.prefix !== undefined) {
    const prefix = checkKey(o.prefix, limits, 'scan prefix');
    if (lower === undefined || compareBytes(prefix, lower) > 0) lower = prefix;
    const end = prefixEnd(prefix);
    if (end !== undefined && (upper === undefined || compareBytes(end, upper) < 0)) upper = end;
  }
  const empty = limit === 0 || (lower !== undefined && upper !== undefined && compareBytes(lower, upper) >= 0);
  return { lower, upper, reverse: o.reverse === true, limit, empty };
}
