// The MVCC store: etcd's revisioned key space over LSM tables. Every key
// version lives in the versions table under (key, inverted revision); the
// revisions table lists (revision, sub) → key in commit order for watch
// history and compaction. Writes happen only through apply(), one at a time
// in Raft order; each write request bumps the revision at most once and
// commits its changes, the Raft index and the new revision in one engine
// write, then reports its events. Reads run concurrently on engine
// snapshots and stay consistent at one revision.

import { bytesEqual, compareBytes, type StorageEngine, type WriteOp } from '@strata/engine';
import { EtcdError } from '../errors.js';
import { EVENT_DELETE, EVENT_PUT, type Event, type KeyValue, type RangeRequest, type RangeResponse } from '../kv/kv-types.js';
import { decodeUserKey, encodeUserKey, readU64, revisionKey, revisionKeyRev, u64, versionKey, versionKeyPrefix, versionKeyRev } from './keys.js';
import { exportTables, importTables } from './state-snapshot.js';
import { META, META_KEYS, REVISIONS, VERSIONS } from './tables.js';
import { decodeVersion } from './version-record.js';
import { WriteTxn } from './write-txn.js';
import { KeyIndex } from './key-index.js';
import { liveVersions, rangeFrom, toKeyValue, versionAt, versionBounds } from './reads.js';

export { STATE_TABLES } from './tables.js';

export interface MvccOptions {
  /** Called synchronously after each write that changed keys, in revision order. */
  readonly onCommit?: (revision: number, events: readonly Event[]) => void;
}

function buildIndex(engine: StorageEngine): Promise<KeyIndex> {
  return KeyIndex.build(engine, (escaped) => decodeUserKey(escaped, VERSIONS).key);
}

export class MvccStore {
  readonly engine: StorageEngine;
  readonly #onCommit: ((revision: number, events: readonly Event[]) => void) | undefined;
  #applied: number;
  #revision: number;
  #compact: number;
  #index: KeyIndex;
  /** Serializes apply(): one write request at a time. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(engine: StorageEngine, o: MvccOptions, applied: number, revision: number, compact: number, index: KeyIndex) {
    this.engine = engine;
    this.#index = index;
    this.#onCommit = o.onCommit;
    this.#applied = applied;
    this.#revision = revision;
    this.#compact = compact;
  }

  static async open(engine: StorageEngine, o: MvccOptions = {}): Promise<MvccStore> {
    const read = async (k: Uint8Array, dflt: number): Promise<number> => {
      const b = await engine.get(META, k);
      return b === undefined ? dflt : Number(readU64(b));
    };
    const s = new MvccStore(engine, o, await read(META_KEYS.applied, 0), await read(META_KEYS.revision, 1), await read(META_KEYS.compact, 0), await buildIndex(engine));
    const done = await read(META_KEYS.compactDone, 0);
    if (done < s.#compact) await s.#compactPhysically(s.#compact);
    return s;
  }

  get appliedIndex(): number {
    return this.#applied;
  }

  get currentRevision(): number {
    return this.#revision;
  }

  get compactRevision(): number {
    return this.#compact;
  }

  /** Records that entry `index` applied with no key change (plus `extra` writes of the caller's tables). */
  markApplied(index: number, extra: readonly WriteOp[] = []): Promise<void> {
    return this.#serial(async () => {
      await this.engine.write([...extra, { type: 'put', table: META, key: META_KEYS.applied, value: u64(index) }]);
      this.#applied = index;
    });
  }

  /**
   * Runs one write request for Raft entry `index`: `fn` reads and writes through
   * the transaction; if it throws, nothing is written (the caller records the
   * index). Otherwise its changes, the index and the revision commit together.
   */
  apply<T>(index: number, fn: (txn: WriteTxn) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const txn = new WriteTxn(this.engine, this.#index, this.#revision + 1);
      const result = await fn(txn);
      const changed = txn.changed;
      const rev = changed ? this.#revision + 1 : this.#revision;
      const ops: WriteOp[] = [...txn.ops, { type: 'put', table: META, key: META_KEYS.applied, value: u64(index) }];
      if (changed) ops.push({ type: 'put', table: META, key: META_KEYS.revision, value: u64(rev) });
      await this.engine.write(ops);
      this.#applied = index;
      this.#revision = rev;
      for (const v of txn.indexChanges()) this.#index.update(v.key, v.tombstone ? undefined : v.modRevision);
      txn.committed();
      if (changed) this.#onCommit?.(rev, txn.events);
      return result;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** etcd's revision checks for a read at `rev` (0: current). */
  checkRevision(rev: number): number {
    if (rev <= 0) return this.#revision;
    if (rev > this.#revision) throw new EtcdError('FutureRev');
    if (rev < this.#compact) throw new EtcdError('Compacted');
    return rev;
  }

  /** A Range on a snapshot; the header revision is the store's current one, as etcd's. */
  async range(req: RangeRequest): Promise<{ revision: number; response: RangeResponse }> {
    const current = this.#revision;
    const rev = this.checkRevision(Number(req.revision));
    const snap = this.engine.snapshot();
    try {
      if (req.range_end.length === 0 && rev === current) {
        // One key now: the key index says which version, or that there is none.
        const r = this.#index.revisionOf(req.key);
        if (r === undefined) return { revision: current, response: await rangeFrom([], req) };
        const b = await snap.get(VERSIONS, versionKey(req.key, r));
        if (b !== undefined) return { revision: current, response: await rangeFrom([decodeVersion(req.key.slice(), r, b, `${VERSIONS} at revision ${r}`)], req) };
      }
      const response = await rangeFrom(liveVersions(snap, req.key, req.range_end, rev), req);
      return { revision: current, response };
    } finally {
      snap.release();
    }
  }

  /** Events of revisions [from, to] on keys in (key, range_end), in order; Compacted below the compaction point. */
  async *events(from: number, to: number, o: { key: Uint8Array; range_end: Uint8Array; prevKv: boolean }): AsyncGenerator<Event> {
    if (from < this.#compact) throw new EtcdError('Compacted');
    const snap = this.engine.snapshot();
    try {
      const end = versionBounds(o.key, o.range_end);
      for await (const { key: rk, value: userKey } of snap.scan(REVISIONS, { start: revisionKey(from, 0), end: revisionKey(to + 1, 0) })) {
        const enc = encodeUserKey(userKey);
        if (end.prefix !== undefined ? !bytesEqual(enc, end.prefix) : compareBytes(enc, end.start) < 0 || (end.end !== undefined && compareBytes(enc, end.end) >= 0)) continue;
        const rev = revisionKeyRev(rk);
        const b = await snap.get(VERSIONS, versionKey(userKey, rev));
        if (b === undefined) continue; // compacted away meanwhile
        const v = decodeVersion(userKey, rev, b, `${VERSIONS} at revision ${rev}`);
        let prev: KeyValue | null = null;
        if (o.prevKv) {
          const p = await versionAt(snap, userKey, rev - 1);
          if (p !== undefined && !p.tombstone) prev = toKeyValue(p);
        }
        yield v.tombstone
          ? { type: EVENT_DELETE, kv: { key: userKey, create_revision: '0', mod_revision: String(rev), version: '0', value: new Uint8Array(0), lease: '0' }, prev_kv: prev }
          : { type: EVENT_PUT, kv: toKeyValue(v), prev_kv: prev };
      }
    } finally {
      snap.release();
    }
  }

  /**
   * Compacts at `rev` within the apply of entry `index`: records the new
   * compaction point, then deletes every version no read at or above `rev`
   * can see, in bounded batches. Restart finishes an interrupted one.
   */
  compact(index: number, rev: number): Promise<void> {
    return this.#serial(async () => {
      if (rev > this.#revision) throw new EtcdError('FutureRev');
      if (rev <= this.#compact) throw new EtcdError('Compacted');
      await this.engine.write([
        { type: 'put', table: META, key: META_KEYS.compact, value: u64(rev) },
        { type: 'put', table: META, key: META_KEYS.applied, value: u64(index) },
      ]);
      this.#compact = rev;
      this.#applied = index;
      await this.#compactPhysically(rev);
    });
  }

  async #compactPhysically(rev: number): Promise<void> {
    const snap = this.engine.snapshot();
    let ops: WriteOp[] = [];
    const flush = async (): Promise<void> => {
      if (ops.length > 0) await this.engine.write(ops);
      ops = [];
    };
    try {
      let current: Uint8Array | undefined;
      let keptOne = false;
      for await (const { key: vk, value } of snap.scan(VERSIONS)) {
        const prefix = versionKeyPrefix(vk);
        if (current === undefined || !bytesEqual(prefix, current)) {
          current = prefix.slice();
          keptOne = false;
        }
        const r = versionKeyRev(vk);
        if (r > rev) continue;
        if (!keptOne) {
          keptOne = true;
          // The newest version at or below rev stays unless it is a tombstone.
          if ((value[0] ?? 0) & 1) ops.push({ type: 'delete', table: VERSIONS, key: vk.slice() });
        } else ops.push({ type: 'delete', table: VERSIONS, key: vk.slice() });
        if (ops.length >= 1000) await flush();
      }
      ops.push({ type: 'deleteRange', table: REVISIONS, start: revisionKey(0, 0), end: revisionKey(rev, 0) });
      ops.push({ type: 'put', table: META, key: META_KEYS.compactDone, value: u64(rev) });
      await flush();
    } finally {
      snap.release();
    }
  }

  /** A hash of every version at or below `rev` (0: current) held here; equal on members with equal state. */
  async hashKV(rev: number): Promise<{ hash: number; compactRevision: number; revision: number }> {
    const current = this.#revision;
    const at = this.checkRevision(rev);
    const snap = this.engine.snapshot();
    try {
      let h = 0;
      for await (const { key, value } of snap.scan(VERSIONS)) {
        if (versionKeyRev(key) > at) continue;
        h = crc32(key, h);
        h = crc32(value, h);
      }
      return { hash: h >>> 0, compactRevision: this.#compact, revision: current };
    } finally {
      snap.release();
    }
  }

  /** The whole state (every engine table) at the applied index, read from a snapshot taken now. */
  exportState(): { index: number; data: Promise<Uint8Array> } {
    const snap = this.engine.snapshot();
    const index = this.#applied;
    const data = exportTables(snap, this.engine.tables, index).finally(() => snap.release());
    return { index, data };
  }

  /** Replaces the whole state with an exported one (one atomic engine write), whose index becomes the applied index. */
  importState(data: Uint8Array, index: number): Promise<void> {
    return this.#serial(async () => {
      const imported = await importTables(this.engine, data, index);
      this.#applied = index;
      this.#revision = imported.revision;
      this.#compact = imported.compact;
      this.#index = await buildIndex(this.engine);
    });
  }
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32C (Castagnoli, as etcd's HashKV), continued from `crc`. */
function crc32(b: Uint8Array, crc: number): number {
  let c = ~crc;
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c;
}
