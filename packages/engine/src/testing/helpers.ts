// Small helpers for engine tests.

import { toHex } from '../bytes.js';
import type { Entry } from '../storage-engine.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** UTF-8 bytes of `s`. */
export function b(s: string): Uint8Array {
  return enc.encode(s);
}

/** `bytes` decoded as UTF-8. */
export function s(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : dec.decode(bytes);
}

/** Drains an async iterator into an array. */
export async function collect(it: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A scan's entries as [key, value] UTF-8 string pairs. */
export async function collectStrings(it: AsyncIterable<Entry>): Promise<[string, string][]> {
  return (await collect(it)).map((e) => [dec.decode(e.key), dec.decode(e.value)]);
}

/**
 * Every table's entries as [hex key, hex value] pairs, tables in sorted
 * order: the shape of ModelStore.dump(), for comparing whole states.
 */
export async function dumpEngine(engine: { scan(table: string): AsyncIterable<Entry> }, tables: readonly string[]): Promise<Record<string, [string, string][]>> {
  const out: Record<string, [string, string][]> = {};
  for (const t of [...tables].sort()) out[t] = (await collect(engine.scan(t))).map((e) => [toHex(e.key), toHex(e.value)]);
  return out;
}
