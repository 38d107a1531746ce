import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryEngine } from '@strata/engine';
import { testSeed } from '@strata/vfs/testing';
import { isEtcdError } from '../errors.js';
import { applyCompaction, applyDeleteRange, applyPut, applyTxn } from '../kv/apply-kv.js';
import type { Event, RangeRequest, RequestOp } from '../kv/kv-types.js';
import { LeaseStore } from '../lease/lease-store.js';
import { MvccStore } from './mvcc-store.js';
import { STATE_TABLES } from './tables.js';

const b = (s: string): Buffer => Buffer.from(s);
const str = (u: Uint8Array): string => Buffer.from(u).toString();

function rangeReq(key: string, o: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key: b(key),
    range_end: new Uint8Array(0),
    limit: '0',
    revision: '0',
    sort_order: 0,
    sort_target: 0,
    serializable: false,
    keys_only: false,
    count_only: false,
    min_mod_revision: '0',
    max_mod_revision: '0',
    min_create_revision: '0',
    max_create_revision: '0',
    ...o,
  };
}

const put = (key: string, value: string, lease = '0') => ({ key: b(key), value: b(value), lease, prev_kv: true, ignore_value: false, ignore_lease: false });

async function open(onCommit?: (rev: number, events: readonly Event[]) => void): Promise<{ engine: MemoryEngine; store: MvccStore; leases: LeaseStore }> {
  const engine = await MemoryEngine.open({ tables: [...STATE_TABLES, 'members'] });
  const store = await MvccStore.open(engine, onCommit ? { onCommit } : {});
  return { engine, store, leases: await LeaseStore.open(engine) };
}

describe('MVCC store: etcd revision semantics', () => {
  it('a fresh store is at revision 1; each put bumps it once and versions count up', async () => {
    const { store, leases } = await open();
    assert.equal(store.currentRevision, 1);
    const r1 = await applyPut(store, leases, 1, put('foo', 'a'));
    assert.equal(r1.prev_kv, null);
    assert.equal(store.currentRevision, 2);
    const r2 = await applyPut(store, leases, 2, put('foo', 'b'));
    assert.equal(str(r2.prev_kv?.value ?? new Uint8Array()), 'a');
    const got = await store.range(rangeReq('foo'));
    assert.equal(got.revision, 3);
    const kv = got.response.kvs[0];
    assert.deepEqual([kv?.create_revision, kv?.mod_revision, kv?.version, str(kv?.value ?? new Uint8Array())], ['2', '3', '2', 'b']);
    assert.equal(store.appliedIndex, 2);
  });

  it('a delete bumps the revision once for all keys; deleting nothing does not; create_revision restarts after a delete', async () => {
    const { store, leases } = await open();
    await applyPut(store, leases, 1, put('a', '1'));
    await applyPut(store, leases, 2, put('b', '1'));
    const del = await applyDeleteRange(store, leases, 3, { key: b('a'), range_end: b('c'), prev_kv: true });
    assert.equal(del.deleted, '2');
    assert.deepEqual(del.prev_kvs.map((kv) => str(kv.key)), ['a', 'b']);
    assert.equal(store.currentRevision, 4);
    await applyDeleteRange(store, leases, 4, { key: b('zz'), range_end: new Uint8Array(0), prev_kv: false });
    assert.equal(store.currentRevision, 4);
    assert.equal(store.appliedIndex, 4);
    await applyPut(store, leases, 5, put('a', '2'));
    const kv = (await store.range(rangeReq('a'))).response.kvs[0];
    assert.deepEqual([kv?.create_revision, kv?.version], ['5', '1']);
  });

  it('historical reads, then compaction with etcd errors', async () => {
    const { store, leases } = await open();
    for (let i = 0; i < 5; i++) await applyPut(store, leases, i + 1, put('k', `v${i}`));
    assert.equal(str((await store.range(rangeReq('k', { revision: '3' }))).response.kvs[0]?.value ?? new Uint8Array()), 'v1');
    await assert.rejects(store.range(rangeReq('k', { revision: '7' })), (e) => isEtcdError(e, 'FutureRev'));
    await applyCompaction(store, 6, { revision: '4', physical: true });
    await assert.rejects(store.range(rangeReq('k', { revision: '3' })), (e) => isEtcdError(e, 'Compacted'));
    assert.equal(str((await store.range(rangeReq('k', { revision: '4' }))).response.kvs[0]?.value ?? new Uint8Array()), 'v2');
    await assert.rejects(applyCompaction(store, 7, { revision: '4', physical: true }), (e) => isEtcdError(e, 'Compacted'));
    await assert.rejects(applyCompaction(store, 7, { revision: '99', physical: true }), (e) => isEtcdError(e, 'FutureRev'));
    await assert.rejects(async () => {
      for await (const e of store.events(2, 6, { key: b('k'), range_end: new Uint8Array(0), prevKv: false })) void e;
    }, (e) => isEtcdError(e, 'Compacted'));
  });

  it('range options: limit with more and count, sort by every target, keys-only, count-only, revision filters', async () => {
    const { store, leases } = await open();
    let i = 0;
    for (const [k, v] of [['p/c', '1'], ['p/a', '3'], ['p/b', '2'], ['q', 'x']] as const) await applyPut(store, leases, ++i, put(k, v));
    await applyPut(store, leases, i + 1, put('p/a', '0'));
    const all = { range_end: b('p0') };
    const lim = (await store.range(rangeReq('p/', { ...all, limit: '2' }))).response;
    assert.deepEqual([lim.kvs.map((kv) => str(kv.key)), lim.more, lim.count], [['p/a', 'p/b'], true, '3']);
    const byValueDesc = (await store.range(rangeReq('p/', { ...all, sort_order: 2, sort_target: 4 }))).response;
    assert.deepEqual(byValueDesc.kvs.map((kv) => str(kv.value)), ['2', '1', '0']);
    const byMod = (await store.range(rangeReq('p/', { ...all, sort_target: 3 }))).response;
    assert.deepEqual(byMod.kvs.map((kv) => str(kv.key)), ['p/c', 'p/b', 'p/a'], 'a non-key target sorts ascending by default');
    const byVersionLimited = (await store.range(rangeReq('p/', { ...all, sort_order: 2, sort_target: 1, limit: '1' }))).response;
    assert.deepEqual([byVersionLimited.kvs.map((kv) => str(kv.key)), byVersionLimited.more], [['p/a'], true]);
    const keysOnly = (await store.range(rangeReq('p/', { ...all, keys_only: true }))).response;
    assert.ok(keysOnly.kvs.every((kv) => kv.value.length === 0));
    const countOnly = (await store.range(rangeReq('p/', { ...all, count_only: true }))).response;
    assert.deepEqual([countOnly.kvs.length, countOnly.count], [0, '3']);
    const recent = (await store.range(rangeReq('p/', { ...all, min_mod_revision: '4' }))).response;
    assert.deepEqual(recent.kvs.map((kv) => str(kv.key)), ['p/a', 'p/b']);
    const fromKey = (await store.range(rangeReq('p/b', { range_end: b('\0') }))).response;
    assert.deepEqual(fromKey.kvs.map((kv) => str(kv.key)), ['p/b', 'p/c', 'q']);
  });

  it('a txn decides its path before running, sees its own writes, and bumps the revision once', async () => {
    const { store, leases } = await open();
    await applyPut(store, leases, 1, put('x', '1'));
    const op = (o: RequestOp): RequestOp => o;
    const res = await applyTxn(store, leases, 2, {
      compare: [{ result: 0, target: 3, key: b('x'), range_end: new Uint8Array(0), target_union: 'value', value: b('1') }],
      success: [
        op({ request: 'request_put', request_put: put('x', '2') }),
        op({ request: 'request_range', request_range: rangeReq('x') }),
        op({ request: 'request_put', request_put: put('y', '1') }),
        op({ request: 'request_txn', request_txn: { compare: [{ result: 0, target: 0, key: b('y'), range_end: new Uint8Array(0), target_union: 'version', version: '0' }], success: [op({ request: 'request_put', request_put: put('z', 'nested-then') })], failure: [] } }),
      ],
      failure: [],
    });
    assert.equal(res.succeeded, true);
    const read = res.responses[1];
    assert.ok(read?.response === 'response_range');
    assert.equal(str(read.response_range.kvs[0]?.value ?? new Uint8Array()), '2', 'the range sees the earlier put');
    const nested = res.responses[3];
    assert.ok(nested?.response === 'response_txn');
    assert.equal(nested.response_txn.succeeded, true, 'nested compares see the state before the txn (y had version 0)');
    assert.equal(store.currentRevision, 3);
    const z = (await store.range(rangeReq('z'))).response.kvs[0];
    assert.equal(z?.mod_revision, '3');
  });

  it('a value compare on a missing key fails; version compares treat it as 0', async () => {
    const { store, leases } = await open();
    const t = (target: number, union: 'value' | 'version', v: string) =>
      applyTxn(store, leases, 1, { compare: [{ result: 0, target, key: b('none'), range_end: new Uint8Array(0), target_union: union, ...(union === 'value' ? { value: b(v) } : { version: v }) }], success: [], failure: [] });
    assert.equal((await t(3, 'value', '')).succeeded, false);
    assert.equal((await t(0, 'version', '0')).succeeded, true);
  });

  it('leases: keys attach, a missing lease is refused, a revoke deletes every attached key in one revision', async () => {
    const { store, leases } = await open();
    await leases.grant(store, 1, 7n, 30);
    await assert.rejects(leases.grant(store, 2, 7n, 30), (e) => isEtcdError(e, 'LeaseExist'));
    await applyPut(store, leases, 3, put('l/a', '1', '7'));
    await applyPut(store, leases, 4, put('l/b', '1', '7'));
    await assert.rejects(applyPut(store, leases, 5, put('l/c', '1', '8')), (e) => isEtcdError(e, 'LeaseNotFound'));
    assert.deepEqual((await leases.keysOf(7n)).map(str), ['l/a', 'l/b']);
    await applyPut(store, leases, 6, put('l/b', '2'));
    assert.deepEqual((await leases.keysOf(7n)).map(str), ['l/a'], 'a put without the lease detaches the key');
    const before = store.currentRevision;
    await leases.revoke(store, 7, 7n);
    assert.equal(store.currentRevision, before + 1);
    assert.equal((await store.range(rangeReq('l/', { range_end: b('l0') }))).response.count, '1');
    assert.equal(leases.ttlOf(7n), undefined);
    await assert.rejects(leases.revoke(store, 8, 7n), (e) => isEtcdError(e, 'LeaseNotFound'));
  });

  it('commits report their events in revision order, with prev_kv; history replays the same events', async () => {
    const seen: string[] = [];
    const { store, leases } = await open((rev, events) => seen.push(...events.map((e) => `${rev} ${e.type} ${str(e.kv.key)} prev=${e.prev_kv ? str(e.prev_kv.value) : '-'}`)));
    await applyPut(store, leases, 1, put('a', '1'));
    await applyPut(store, leases, 2, put('a', '2'));
    await applyDeleteRange(store, leases, 3, { key: b('a'), range_end: new Uint8Array(0), prev_kv: false });
    assert.deepEqual(seen, ['2 0 a prev=-', '3 0 a prev=1', '4 1 a prev=2']);
    const replay: string[] = [];
    for await (const e of store.events(2, 4, { key: b('a'), range_end: new Uint8Array(0), prevKv: true })) replay.push(`${e.kv.mod_revision} ${e.type} ${str(e.kv.key)} prev=${e.prev_kv ? str(e.prev_kv.value) : '-'}`);
    assert.deepEqual(replay, seen);
  });

  it('export and import carry the whole state, and a flipped byte is Corruption', async () => {
    const a = await open();
    for (let i = 0; i < 20; i++) await applyPut(a.store, a.leases, i + 1, put(`k${i % 7}`, `v${i}`));
    const { index, data } = a.store.exportState();
    const bytes = await data;
    const c = await open();
    await c.store.importState(bytes, index);
    assert.equal(c.store.appliedIndex, 20);
    assert.equal(c.store.currentRevision, a.store.currentRevision);
    assert.deepEqual(await c.store.hashKV(0), await a.store.hashKV(0));
    const bad = bytes.slice();
    const mid = bad.length >> 1;
    bad[mid] = (bad[mid] ?? 0) ^ 1;
    await assert.rejects((await open()).store.importState(bad, index), (e: unknown) => e instanceof Error && e.name === 'Corruption');
  });
});

/** A plain model of etcd's key space: every version of every key, by revision. */
class Model {
  rev = 1;
  compact = 0;
  readonly history = new Map<string, { rev: number; value: string | undefined }[]>();

  at(key: string, rev: number): string | undefined {
    const h = this.history.get(key) ?? [];
    let v: string | undefined;
    for (const e of h) if (e.rev <= rev) v = e.value;
    return v;
  }

  live(rev: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of [...this.history.keys()].sort()) {
      const v = this.at(k, rev);
      if (v !== undefined) out.set(k, v);
    }
    return out;
  }
}

type Op = { kind: 'put'; key: string; value: string } | { kind: 'del'; from: string; to: string } | { kind: 'compact'; back: number } | { kind: 'read'; back: number };

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.string({ maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), from: keyArb, to: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), back: fc.nat(8) }) },
);

describe('MVCC store against a model (fast-check)', () => {
  it('puts, range deletes, compactions and historical reads agree with the model', async () => {
    const seed = testSeed('mvcc model');
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const { store, leases } = await open();
        const m = new Model();
        let index = 0;
        for (const op of ops) {
          index++;
          if (op.kind === 'put') {
            await applyPut(store, leases, index, put(op.key, op.value));
            m.rev++;
            const h = m.history.get(op.key) ?? [];
            h.push({ rev: m.rev, value: op.value });
            m.history.set(op.key, h);
          } else if (op.kind === 'del') {
            const gone = [...m.live(m.rev).keys()].filter((k) => k >= op.from && k < op.to);
            await applyDeleteRange(store, leases, index, { key: b(op.from), range_end: b(op.to), prev_kv: false });
            if (gone.length > 0) {
              m.rev++;
              for (const k of gone) m.history.get(k)?.push({ rev: m.rev, value: undefined });
            }
          } else if (op.kind === 'compact') {
            const target = m.rev - op.back;
            if (target > m.compact && target >= 1) {
              await applyCompaction(store, index, { revision: String(target), physical: true });
              m.compact = target;
            }
          } else {
            const rev = Math.max(m.rev - op.back, m.compact, 1);
            const got = await store.range(rangeReq('a', { range_end: b('z'), revision: String(rev) }));
            const want = [...m.live(rev)].map(([k, v]) => `${k}=${v}`);
            assert.deepEqual(got.response.kvs.map((kv) => `${str(kv.key)}=${str(kv.value)}`), want, `read at ${rev}`);
          }
          assert.equal(store.currentRevision, m.rev);
        }
      }),
      { numRuns: 100, seed },
    );
  });
});
