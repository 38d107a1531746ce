// LevelDB through classic-level: batch() and put() (async, thread pool),
// getSync() for reads, nextv() for scans, one reused iterator for seeks.

import { ClassicLevel } from 'classic-level';
import type { EngineAdapter, KV } from './adapter.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

export class ClassicLevelAdapter implements EngineAdapter {
  readonly name = 'classic-level';
  readonly #cacheSize: number;
  #db: Db | undefined;

  constructor(cacheSize: number) {
    this.#cacheSize = cacheSize;
  }

  get db(): Db {
    if (this.#db === undefined) throw new Error('not open');
    return this.#db;
  }

  async open(dir: string, _durable: boolean): Promise<void> {
    this.#db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', cacheSize: this.#cacheSize });
    await this.#db.open();
  }

  writeBatch(batch: readonly KV[]): Promise<void> {
    return this.db.batch(batch.map((kv) => ({ type: 'put' as const, key: kv.key, value: kv.value })));
  }

  put(key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void> {
    return this.db.put(key, value, { sync });
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(key);
  }

  async scanAll(): Promise<number> {
    const it = this.db.iterator();
    let n = 0;
    try {
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        n += entries.length;
      }
    } finally {
      await it.close();
    }
    return n;
  }

  async seek(key: Uint8Array): Promise<boolean> {
    const it = this.db.iterator({ gte: key, limit: 1 });
    try {
      return (await it.next()) !== undefined;
    } finally {
      await it.close();
    }
  }

  async settle(): Promise<void> {
    // LevelDB compacts on its own threads; nothing to wait for through the API.
  }

  async compact(): Promise<void> {
    // Every key sorts between an empty key and one longer than any key of all-ones bytes.
    await this.db.compactRange(new Uint8Array(0), new Uint8Array(64).fill(0xff));
  }

  stats(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    await this.#db?.close();
    this.#db = undefined;
  }
}
