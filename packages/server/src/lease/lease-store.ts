// The replicated lease table: lease id → granted TTL (table lease.leases,
// u64 id → u64 seconds), with its attached keys kept by the MVCC write
// transaction in lease.keys (id ‖ key). Grants and revokes apply through
// MvccStore.apply(), so a revoke deletes every attached key in the one
// revision of its entry, as etcd does. The in-memory map mirrors the table
// once each write commits.

import type { StorageEngine } from '@strata/engine';
import { EtcdError } from '../errors.js';
import { readU64, u64 } from '../mvcc/keys.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import { LEASE_KEYS, LEASES } from '../mvcc/tables.js';

export interface LeaseInfo {
  readonly id: bigint;
  readonly ttl: number;
}

export class LeaseStore {
  readonly #engine: StorageEngine;
  readonly #ttls = new Map<bigint, number>();

  private constructor(engine: StorageEngine) {
    this.#engine = engine;
  }

  static async open(engine: StorageEngine): Promise<LeaseStore> {
    const s = new LeaseStore(engine);
    await s.reload();
    return s;
  }

  /** Rereads the table (after a snapshot replaced the state). */
  async reload(): Promise<void> {
    this.#ttls.clear();
    for await (const { key, value } of this.#engine.scan(LEASES)) this.#ttls.set(readU64(key), Number(readU64(value)));
  }

  ttlOf(id: bigint): number | undefined {
    return this.#ttls.get(id);
  }

  list(): Promise<LeaseInfo[]> {
    return Promise.resolve([...this.#ttls].map(([id, ttl]) => ({ id, ttl })));
  }

  async keysOf(id: bigint): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const { key } of this.#engine.scan(LEASE_KEYS, { prefix: u64(id) })) out.push(key.subarray(8));
    return out;
  }

  grant(store: MvccStore, index: number, id: bigint, ttl: number): Promise<void> {
    return store.apply(index, (txn) => {
      if (this.#ttls.has(id)) throw new EtcdError('LeaseExist');
      txn.extra({ type: 'put', table: LEASES, key: u64(id), value: u64(ttl) });
      txn.afterCommit(() => this.#ttls.set(id, ttl));
      return Promise.resolve();
    });
  }

  revoke(store: MvccStore, index: number, id: bigint): Promise<void> {
    return store.apply(index, async (txn) => {
      if (!this.#ttls.has(id)) throw new EtcdError('LeaseNotFound');
      for (const key of await this.keysOf(id)) await txn.deleteRange(key, new Uint8Array(0));
      txn.extra({ type: 'delete', table: LEASES, key: u64(id) });
      txn.afterCommit(() => this.#ttls.delete(id));
    });
  }
}
