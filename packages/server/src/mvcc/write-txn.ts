// One write request's transaction at revision `rev`: reads see the store as
// committed plus this transaction's own earlier changes (as etcd's txn
// reads do); puts and deletes become versions at (rev, sub) with their
// events, and keep the lease attachment table in step. Nothing reaches the
// engine until MvccStore.apply() writes `ops`; callbacks registered with
// afterCommit() run once it has.

import { bytesEqual, compareBytes, Corruption, type ReadView, type WriteOp } from '@strata/engine';
import { EVENT_DELETE, EVENT_PUT, type Event, type KeyValue } from '../kv/kv-types.js';
import { revisionKey, u64, versionKey } from './keys.js';
import { indexKey, type KeyIndex } from './key-index.js';
import { liveVersions, toKeyValue } from './reads.js';
import { LEASE_KEYS, REVISIONS, VERSIONS } from './tables.js';
import { decodeVersion, encodeVersion, type Version } from './version-record.js';

/** Key of a (lease, key) attachment. */
export function leaseKeyOf(lease: bigint, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + key.length);
  out.set(u64(lease), 0);
  out.set(key, 8);
  return out;
}

function inRange(k: Uint8Array, key: Uint8Array, rangeEnd: Uint8Array): boolean {
  if (rangeEnd.length === 0) return bytesEqual(k, key);
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return compareBytes(k, key) >= 0;
  return compareBytes(k, key) >= 0 && compareBytes(k, rangeEnd) < 0;
}

export class WriteTxn {
  readonly rev: number;
  readonly ops: WriteOp[] = [];
  readonly events: Event[] = [];
  readonly #view: ReadView;
  readonly #index: KeyIndex;
  #sub = 0;
  /** This transaction's latest version of each key it changed, by indexKey. */
  readonly #pending = new Map<string, Version>();
  readonly #after: (() => void)[] = [];

  constructor(view: ReadView, index: KeyIndex, rev: number) {
    this.#view = view;
    this.#index = index;
    this.rev = rev;
  }

  /** The key index changes this transaction makes once committed: revision, or undefined for a delete. */
  indexChanges(): Iterable<Version> {
    return this.#pending.values();
  }

  get changed(): boolean {
    return this.#sub > 0;
  }

  /** The latest live version of `key` (this transaction's own changes included). */
  async get(key: Uint8Array): Promise<Version | undefined> {
    const p = this.#pending.get(indexKey(key));
    if (p !== undefined) return p.tombstone ? undefined : p;
    const rev = this.#index.revisionOf(key);
    if (rev === undefined) return undefined;
    const b = await this.#view.get(VERSIONS, versionKey(key, rev));
    if (b === undefined) throw new Corruption(VERSIONS, 0, `the key index names revision ${rev} of a key the versions table lacks`);
    return decodeVersion(key.slice(), rev, b, `${VERSIONS} at revision ${rev}`);
  }

  /** Live versions in etcd's range (key, rangeEnd), in key order, own changes included. */
  async live(key: Uint8Array, rangeEnd: Uint8Array): Promise<Version[]> {
    const out: Version[] = [];
    for await (const v of liveVersions(this.#view, key, rangeEnd, this.rev - 1)) out.push(v);
    if (this.#pending.size === 0) return out;
    const byKey = new Map(out.map((v) => [indexKey(v.key), v]));
    for (const v of this.#pending.values()) {
      if (!inRange(v.key, key, rangeEnd)) continue;
      const k = indexKey(v.key);
      if (v.tombstone) byKey.delete(k);
      else byKey.set(k, v);
    }
    return [...byKey.values()].sort((a, b) => compareBytes(a.key, b.key));
  }

  /** Writes `value` under `key` with `lease` (0n: none); returns the version it replaced, if live. */
  async put(key: Uint8Array, value: Uint8Array, lease: bigint): Promise<Version | undefined> {
    const prev = await this.get(key);
    const v: Version = {
      key: key.slice(),
      modRevision: this.rev,
      createRevision: prev?.createRevision ?? this.rev,
      version: (prev?.version ?? 0) + 1,
      lease,
      value: value.slice(),
      tombstone: false,
    };
    this.#record(v);
    if (prev !== undefined && prev.lease !== 0n && prev.lease !== lease) this.ops.push({ type: 'delete', table: LEASE_KEYS, key: leaseKeyOf(prev.lease, key) });
    if (lease !== 0n) this.ops.push({ type: 'put', table: LEASE_KEYS, key: leaseKeyOf(lease, key), value: new Uint8Array(0) });
    this.events.push({ type: EVENT_PUT, kv: toKeyValue(v), prev_kv: prev === undefined ? null : toKeyValue(prev) });
    return prev;
  }

  /** Deletes every live key in (key, rangeEnd); returns what was deleted. */
  async deleteRange(key: Uint8Array, rangeEnd: Uint8Array): Promise<Version[]> {
    const gone = await this.live(key, rangeEnd);
    for (const prev of gone) {
      this.#record({ key: prev.key, modRevision: this.rev, createRevision: 0, version: 0, lease: 0n, value: new Uint8Array(0), tombstone: true });
      if (prev.lease !== 0n) this.ops.push({ type: 'delete', table: LEASE_KEYS, key: leaseKeyOf(prev.lease, prev.key) });
      const kv: KeyValue = { key: prev.key, create_revision: '0', mod_revision: String(this.rev), version: '0', value: new Uint8Array(0), lease: '0' };
      this.events.push({ type: EVENT_DELETE, kv, prev_kv: toKeyValue(prev) });
    }
    return gone;
  }

  /** Adds writes of other tables to this transaction's engine write. */
  extra(...ops: WriteOp[]): void {
    this.ops.push(...ops);
  }

  afterCommit(fn: () => void): void {
    this.#after.push(fn);
  }

  /** Called by MvccStore once the engine write resolved. */
  committed(): void {
    for (const fn of this.#after) fn();
  }

  #record(v: Version): void {
    const sub = this.#sub++;
    this.#pending.set(indexKey(v.key), v);
    this.ops.push({ type: 'put', table: VERSIONS, key: versionKey(v.key, this.rev), value: encodeVersion(v) });
    this.ops.push({ type: 'put', table: REVISIONS, key: revisionKey(this.rev, sub), value: v.key });
  }
}
