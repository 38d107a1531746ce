// The state machine as one byte string (docs/format/server-state-snapshot.md):
// what a leader sends a follower that is too far behind. Every table of the
// engine, read from one snapshot, then an xxHash32 of everything before it.
// Import checks the whole string first (Corruption if it does not verify),
// then replaces every table and the applied index in one atomic write.

import { ByteReader, ByteWriter, Corruption, loadChecksum, type ReadView, type StorageEngine, type WriteOp } from '@strata/engine';
import { readU64, u64 } from './keys.js';
import { META, META_KEYS } from './tables.js';

// Part of the format.
const MAGIC = 0x53544e53; // "STNS"
const VERSION = 1;
const SEED = 0x5354;
/** A bound above every key the tables hold in practice; keys past it are deleted one by one. */
const HIGH = new Uint8Array(32).fill(0xff);

export async function exportTables(view: ReadView, tables: readonly string[], index: number): Promise<Uint8Array> {
  const w = new ByteWriter(1 << 16);
  w.raw(u64(MAGIC)).u8(VERSION).varint(index).varint(tables.length);
  for (const t of tables) {
    w.string(t);
    const entries: { key: Uint8Array; value: Uint8Array }[] = [];
    for await (const e of view.scan(t)) entries.push({ key: e.key.slice(), value: e.value.slice() });
    w.varint(entries.length);
    for (const e of entries) w.bytes(e.key).bytes(e.value);
  }
  const body = w.finish();
  const sum = (await loadChecksum()).xxh32(body, SEED);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, sum);
  return out;
}

/** Replaces the engine's tables with the exported ones; returns the imported revision and compaction point. */
export async function importTables(engine: StorageEngine, data: Uint8Array, index: number): Promise<{ revision: number; compact: number }> {
  const where = `state snapshot at ${index}`;
  if (data.length < 4) throw new Corruption(where, 0, 'too short');
  const body = data.subarray(0, data.length - 4);
  const sum = new DataView(data.buffer, data.byteOffset + body.length, 4).getUint32(0);
  if ((await loadChecksum()).xxh32(body, SEED) !== sum) throw new Corruption(where, body.length, 'checksum mismatch');
  const ops: WriteOp[] = [];
  let revision = 1;
  let compact = 0;
  try {
    const r = new ByteReader(body);
    const magic = Number(readU64(body.subarray(0, 8)));
    for (let i = 0; i < 8; i++) r.u8();
    if (magic !== MAGIC) throw new Error('bad magic');
    if (r.u8() !== VERSION) throw new Error('unknown version');
    const at = r.varint();
    if (at !== index) throw new Error(`holds index ${at}, not ${index}`);
    const n = r.varint();
    const tables = new Set(engine.tables);
    for (const t of engine.tables) {
      ops.push({ type: 'deleteRange', table: t, start: new Uint8Array(0), end: HIGH });
      for await (const e of engine.scan(t, { start: HIGH })) ops.push({ type: 'delete', table: t, key: e.key.slice() });
    }
    for (let i = 0; i < n; i++) {
      const t = new TextDecoder().decode(r.bytes());
      if (!tables.has(t)) throw new Error(`unknown table ${t}`);
      const count = r.varint();
      for (let j = 0; j < count; j++) {
        const key = r.bytes().slice();
        const value = r.bytes().slice();
        ops.push({ type: 'put', table: t, key, value });
        if (t === META && key.length === META_KEYS.revision.length && new TextDecoder().decode(key) === 'revision') revision = Number(readU64(value));
        if (t === META && new TextDecoder().decode(key) === 'compact') compact = Number(readU64(value));
      }
    }
    if (!r.done) throw new Error('trailing bytes');
  } catch (err) {
    if (err instanceof Corruption) throw err;
    throw new Corruption(where, 0, `undecodable: ${(err as Error).message}`);
  }
  ops.push({ type: 'put', table: META, key: META_KEYS.applied, value: u64(index) });
  await engine.write(ops, { sync: true });
  return { revision, compact };
}
