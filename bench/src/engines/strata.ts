// Strata's LSM engine on the real filesystem: writes through write(), reads
// through getSync() and scanSync() (synchronous; see docs/vfs.md).

import { LsmEngine, type LsmOptions } from '@strata/lsm';
import { NodeFileSystem } from '@strata/vfs';
import type { EngineAdapter, KV } from './adapter.js';

export class StrataAdapter implements EngineAdapter {
  readonly name: string;
  readonly #options: Partial<LsmOptions>;
  #db: LsmEngine | undefined;

  constructor(name: string, options: Partial<LsmOptions> = {}) {
    this.name = name;
    this.#options = options;
  }

  get db(): LsmEngine {
    if (this.#db === undefined) throw new Error('not open');
    return this.#db;
  }

  async open(dir: string, _durable: boolean): Promise<void> {
    this.#db = await LsmEngine.open({ ...this.#options, tables: ['bench'], fs: new NodeFileSystem(), dir });
  }

  writeBatch(batch: readonly KV[]): Promise<void> {
    return this.db.write(batch.map((kv) => ({ type: 'put', table: 'bench', key: kv.key, value: kv.value })));
  }

  put(key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void> {
    return this.db.write([{ type: 'put', table: 'bench', key, value }], { sync });
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.getSync('bench', key);
  }

  scanAll(): number {
    let n = 0;
    for (const e of this.db.scanSync('bench')) if (e.value.length >= 0) n++;
    return n;
  }

  seek(key: Uint8Array): boolean {
    for (const e of this.db.scanSync('bench', { start: key, limit: 1 })) return e.key.length > 0;
    return false;
  }

  async settle(): Promise<void> {
    await this.db.flush();
    await this.db.waitForCompactions();
  }

  async compact(): Promise<void> {
    await this.db.compactAll();
  }

  stats(): Record<string, number> {
    const s = this.db.stats();
    return {
      writeAmplification: s.writeAmplification,
      totalWriteAmplification: s.totalWriteAmplification,
      spaceAmplification: s.spaceAmplification,
      tablesPerGet: s.tablesPerGet,
      blocksPerGet: s.blocksPerGet,
      blockCacheHitRatio: s.blockCache.hitRatio,
      stallMs: s.writes.stallMicros / 1000,
      slowdowns: s.writes.slowdowns,
      stops: s.writes.stops,
      flushes: s.writes.flushes,
      compactions: s.writes.compactions,
      walSyncs: s.writes.walSyncs,
      writeGroups: s.writes.groups,
    };
  }

  async close(): Promise<void> {
    await this.#db?.close();
    this.#db = undefined;
  }
}
