// LMDB through the lmdb package: put() (batched per event turn by the
// library), transactionSync() for batches, synchronous get() and getRange().
// Unsynced workloads open with noSync (durable against process crashes, not
// power loss: the same promise as an unsynced LSM write); synced ones without,
// so every commit is fsynced.

import { open, type Database, type RootDatabase } from 'lmdb';
import type { EngineAdapter, KV } from './adapter.js';

export class LmdbAdapter implements EngineAdapter {
  readonly name = 'lmdb';
  #db: RootDatabase<Uint8Array, Uint8Array> | undefined;

  get db(): Database<Uint8Array, Uint8Array> {
    if (this.#db === undefined) throw new Error('not open');
    return this.#db;
  }

  async open(dir: string, durable: boolean): Promise<void> {
    this.#db = open<Uint8Array, Uint8Array>({ path: dir, keyEncoding: 'binary', encoding: 'binary', noSync: !durable });
    await Promise.resolve();
  }

  async writeBatch(batch: readonly KV[]): Promise<void> {
    const db = this.db;
    db.transactionSync(() => {
      for (const kv of batch) void db.put(kv.key, kv.value);
    });
    await Promise.resolve();
  }

  async put(key: Uint8Array, value: Uint8Array, _sync: boolean): Promise<void> {
    // Durability was chosen at open (noSync or not): every commit follows it.
    await this.db.put(key, value);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.getBinary(key);
  }

  scanAll(): number {
    let n = 0;
    for (const e of this.db.getRange()) if (e.value !== undefined) n++;
    return n;
  }

  seek(key: Uint8Array): boolean {
    for (const e of this.db.getRange({ start: key, limit: 1 })) return e.key !== undefined;
    return false;
  }

  async settle(): Promise<void> {
    await this.#db?.flushed;
  }

  async compact(): Promise<void> {
    // A B+tree has nothing to compact.
    await this.settle();
  }

  stats(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    await this.#db?.close();
    this.#db = undefined;
  }
}
