// Scenario tests every StorageEngine must pass. Each one is a plain async
// function over a harness, so a test can run one directly (for instance to
// show that a deliberately broken engine fails it).

import assert from 'node:assert/strict';
import { isEngineError, type EngineErrorCode } from '../errors.js';
import type { Entry, Snapshot, StorageEngine, WriteOp } from '../storage-engine.js';
import type { EngineHarness } from './harness.js';
import { b, collect, collectStrings, s } from './helpers.js';

export interface Scenario {
  readonly name: string;
  /** Needs an engine that persists across reopen. */
  readonly persistentOnly?: boolean;
  run(h: EngineHarness): Promise<void>;
}

/** The tables every scenario's engine is opened with. */
export const SCENARIO_TABLES: readonly string[] = ['default', 'other'];

const put = (key: string, value: string, table = 'default'): WriteOp => ({ type: 'put', table, key: b(key), value: b(value) });
const del = (key: string, table = 'default'): WriteOp => ({ type: 'delete', table, key: b(key) });
const delRange = (start: string, end: string, table = 'default'): WriteOp => ({ type: 'deleteRange', table, start: b(start), end: b(end) });

async function rejectsWith(p: Promise<unknown> | (() => Promise<unknown>), code: EngineErrorCode, note?: string): Promise<void> {
  await assert.rejects(typeof p === 'function' ? p : () => p, (err: unknown) => {
    assert.ok(isEngineError(err, code), `${note ?? ''} expected ${code}, got ${String(err)}`);
    return true;
  });
}

function throwsWith(fn: () => unknown, code: EngineErrorCode, note?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, code), `${note ?? ''} expected ${code}, got ${String(err)}`);
    return true;
  });
}

async function keys(engine: Pick<StorageEngine, 'scan'>, table = 'default'): Promise<string[]> {
  return (await collectStrings(engine.scan(table))).map(([k]) => k);
}

export const scenarios: readonly Scenario[] = [
  {
    name: 'put, get, overwrite and delete',
    async run({ engine }) {
      assert.equal(await engine.get('default', b('k')), undefined, 'a missing key reads as undefined');
      await engine.write([put('k', 'v1')]);
      assert.equal(s(await engine.get('default', b('k'))), 'v1');
      await engine.write([put('k', 'v2')]);
      assert.equal(s(await engine.get('default', b('k'))), 'v2');
      await engine.write([del('k')]);
      assert.equal(await engine.get('default', b('k')), undefined);
      await engine.write([del('never-existed')]);
      assert.deepEqual(await keys(engine), []);
    },
  },
  {
    name: 'tables are independent key spaces',
    async run({ engine }) {
      assert.deepEqual([...engine.tables], [...SCENARIO_TABLES]);
      await engine.write([put('k', 'in-default'), put('k', 'in-other', 'other')]);
      assert.equal(s(await engine.get('default', b('k'))), 'in-default');
      assert.equal(s(await engine.get('other', b('k'))), 'in-other');
      await engine.write([delRange('', 'z', 'other')]);
      assert.equal(s(await engine.get('default', b('k'))), 'in-default');
      assert.equal(await engine.get('other', b('k')), undefined);
    },
  },
  {
    name: 'getMulti returns values in the order of the keys asked, duplicates and misses included',
    async run({ engine }) {
      await engine.write([put('a', '1'), put('c', '3')]);
      const got = await engine.getMulti('default', [b('c'), b('b'), b('a'), b('c')]);
      assert.deepEqual(got.map(s), ['3', undefined, '1', '3']);
      assert.deepEqual(await engine.getMulti('default', []), []);
    },
  },
  {
    name: 'a batch applies in order: later ops see earlier ones',
    async run({ engine }) {
      await engine.write([put('a', '1'), del('a'), put('b', '1'), put('b', '2'), delRange('c', 'e'), put('d', 'kept')]);
      assert.equal(await engine.get('default', b('a')), undefined, 'put then delete');
      assert.equal(s(await engine.get('default', b('b'))), '2', 'last put wins');
      assert.equal(s(await engine.get('default', b('d'))), 'kept', 'a put after a deleteRange over its key survives');
      await engine.write([put('x1', '1'), put('x2', '2'), delRange('x', 'y')]);
      assert.deepEqual(await keys(engine), ['b', 'd'], 'a deleteRange after puts in the same batch removes them');
    },
  },
  {
    name: 'a batch is atomic across tables: a bad op anywhere rejects all of it',
    async run({ engine }) {
      await engine.write([put('a', 'old')]);
      const bad: WriteOp[] = [put('a', 'new'), put('b', 'new', 'other'), { type: 'put', table: 'nope', key: b('x'), value: b('y') }];
      await rejectsWith(engine.write(bad), 'TableNotFound');
      const inverted: WriteOp[] = [put('a', 'new'), delRange('z', 'a')];
      await rejectsWith(engine.write(inverted), 'InvalidArgument');
      const notBytes = [put('a', 'new'), { type: 'put', table: 'default', key: 'k', value: b('v') }] as unknown as WriteOp[];
      await rejectsWith(engine.write(notBytes), 'InvalidArgument');
      assert.equal(s(await engine.get('default', b('a'))), 'old');
      assert.equal(await engine.get('other', b('b')), undefined);
    },
  },
  {
    name: 'deleteRange deletes [start, end): start included, end excluded, nothing else',
    async run({ engine }) {
      const all = ['', 'a', 'a\u0000', 'ab', 'b', 'b\u0000', 'ba', 'c'];
      await engine.write(all.map((k) => put(k, 'v')));
      await engine.write([delRange('a', 'b')]);
      assert.deepEqual(await keys(engine), ['', 'b', 'b\u0000', 'ba', 'c']);
      await engine.write([delRange('b\u0000', 'b\u0000')]);
      assert.deepEqual(await keys(engine), ['', 'b', 'b\u0000', 'ba', 'c'], 'start == end deletes nothing');
      await engine.write([delRange('q', 'z')]);
      assert.deepEqual(await keys(engine), ['', 'b', 'b\u0000', 'ba', 'c'], 'a range with no keys changes nothing');
      await engine.write([delRange('', 'b\u0000')]);
      assert.deepEqual(await keys(engine), ['b\u0000', 'ba', 'c'], 'the empty key is the smallest key');
      await engine.write([{ type: 'deleteRange', table: 'default', start: new Uint8Array([0x62, 0x00]), end: new Uint8Array([0xff, 0xff]) }]);
      assert.deepEqual(await keys(engine), []);
    },
  },
  {
    name: 'scan: bounds, reverse, limit',
    async run({ engine }) {
      await engine.write(['a', 'b', 'c', 'd', 'e'].map((k) => put(k, k.toUpperCase())));
      assert.deepEqual(await collectStrings(engine.scan('default')), [
        ['a', 'A'],
        ['b', 'B'],
        ['c', 'C'],
        ['d', 'D'],
        ['e', 'E'],
      ]);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { start: b('b'), end: b('d') }) }), ['b', 'c']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { start: b('bb') }) }), ['c', 'd', 'e']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { end: b('c') }) }), ['a', 'b']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { reverse: true }) }), ['e', 'd', 'c', 'b', 'a']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { start: b('b'), end: b('d'), reverse: true }) }), ['c', 'b']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { limit: 2 }) }), ['a', 'b']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { reverse: true, limit: 2 }) }), ['e', 'd']);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { limit: 0 }) }), []);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { start: b('c'), end: b('c') }) }), [], 'an empty range');
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { start: b('x') }) }), []);
      assert.deepEqual(await keys({ scan: (t) => engine.scan(t, { end: b('') }) }), []);
      assert.deepEqual(await keys(engine, 'other'), [], 'an empty table');
    },
  },
  {
    name: 'scan: prefix, alone and intersected with bounds, including 0xff edges',
    async run({ engine }) {
      const k = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
      const stored = [k(0x61), k(0x61, 0x00), k(0x61, 0xff), k(0x61, 0xff, 0xff), k(0x62), k(0xff), k(0xff, 0x00), k(0xff, 0xff)];
      await engine.write(stored.map((key) => ({ type: 'put', table: 'default', key, value: key })));
      const hexes = async (opts: Parameters<StorageEngine['scan']>[1]): Promise<string[]> =>
        (await collect(engine.scan('default', opts))).map((e) => Buffer.from(e.key).toString('hex'));
      assert.deepEqual(await hexes({ prefix: k(0x61) }), ['61', '6100', '61ff', '61ffff']);
      assert.deepEqual(await hexes({ prefix: k(0x61, 0xff) }), ['61ff', '61ffff']);
      assert.deepEqual(await hexes({ prefix: k(0xff) }), ['ff', 'ff00', 'ffff'], 'a 0xff prefix runs to the end');
      assert.deepEqual(await hexes({ prefix: k(0xff, 0xff) }), ['ffff']);
      assert.deepEqual(await hexes({ prefix: k() }), stored.map((x) => Buffer.from(x).toString('hex')), 'the empty prefix is everything');
      assert.deepEqual(await hexes({ prefix: k(0x61), reverse: true }), ['61ffff', '61ff', '6100', '61']);
      assert.deepEqual(await hexes({ prefix: k(0x61), start: k(0x61, 0x01) }), ['61ff', '61ffff']);
      assert.deepEqual(await hexes({ prefix: k(0x61), end: k(0x61, 0xff) }), ['61', '6100']);
      assert.deepEqual(await hexes({ prefix: k(0x61), start: k(0x00), end: k(0xff) }), ['61', '6100', '61ff', '61ffff']);
      assert.deepEqual(await hexes({ prefix: k(0x61), start: k(0x62) }), [], 'bounds outside the prefix');
      assert.deepEqual(await hexes({ prefix: k(0x63) }), []);
    },
  },
  {
    name: 'a scan sees the state as of its start, whatever is written while it runs',
    async run({ engine }) {
      await engine.write(['a', 'b', 'c', 'd'].map((k) => put(k, 'old')));
      const it = engine.scan('default');
      const first = await it.next();
      assert.equal(s((first.value as Entry).key), 'a');
      await engine.write([put('b', 'new'), del('c'), put('bb', 'inserted'), put('e', 'appended'), delRange('a', 'b')]);
      const rest: [string, string][] = [];
      for await (const e of it) rest.push([s(e.key) as string, s(e.value) as string]);
      assert.deepEqual(rest, [
        ['b', 'old'],
        ['c', 'old'],
        ['d', 'old'],
      ]);
      assert.deepEqual(await keys(engine), ['b', 'bb', 'd', 'e']);
      const rev = engine.scan('default', { reverse: true });
      assert.equal(s(((await rev.next()).value as Entry).key), 'e');
      await engine.write([del('d'), put('c', 'back')]);
      const revRest: string[] = [];
      for await (const e of rev) revRest.push(s(e.key) as string);
      assert.deepEqual(revRest, ['d', 'bb', 'b']);
    },
  },
  {
    name: 'leaving a scan early is clean, and the engine carries on',
    async run({ engine }) {
      await engine.write(['a', 'b', 'c'].map((k) => put(k, 'v')));
      for await (const e of engine.scan('default')) {
        assert.equal(s(e.key), 'a');
        break;
      }
      const it = engine.scan('default');
      assert.deepEqual(await it.return?.(), { done: true, value: undefined });
      assert.equal((await it.next()).done, true, 'a returned iterator stays done');
      await engine.write([put('d', 'v')]);
      assert.deepEqual(await keys(engine), ['a', 'b', 'c', 'd']);
    },
  },
  {
    name: 'a snapshot reads the state as of its creation until released',
    async run({ engine }) {
      await engine.write([put('a', '1'), put('b', '1'), put('c', '1'), put('x', '1', 'other')]);
      const snap = engine.snapshot();
      await engine.write([put('a', '2'), del('b'), delRange('c', 'd'), put('d', '2'), put('x', '2', 'other')]);
      const snap2 = engine.snapshot();
      await engine.write([put('a', '3')]);
      assert.equal(s(await snap.get('default', b('a'))), '1');
      assert.equal(s(await snap.get('default', b('b'))), '1');
      assert.equal(s(await snap.get('other', b('x'))), '1');
      assert.deepEqual((await snap.getMulti('default', [b('c'), b('d')])).map(s), ['1', undefined]);
      assert.deepEqual(await collectStrings(snap.scan('default')), [
        ['a', '1'],
        ['b', '1'],
        ['c', '1'],
      ]);
      assert.deepEqual(await collectStrings(snap.scan('default', { reverse: true, limit: 1 })), [['c', '1']]);
      assert.deepEqual(await collectStrings(snap2.scan('default')), [
        ['a', '2'],
        ['d', '2'],
      ]);
      assert.equal(s(await engine.get('default', b('a'))), '3');
      snap.release();
      snap.release();
      await rejectsWith(snap.get('default', b('a')), 'Closed', 'a released snapshot');
      throwsWith(() => snap.scan('default'), 'Closed');
      assert.equal(s(await snap2.get('default', b('a'))), '2', 'releasing one snapshot leaves others intact');
      snap2.release();
    },
  },
  {
    name: 'many versions under many snapshots stay readable until released',
    async run({ engine }) {
      const snaps: Snapshot[] = [];
      for (let i = 0; i < 30; i++) {
        await engine.write([put('k', `v${i}`), i % 3 === 0 ? del('gone') : put('gone', `g${i}`)]);
        snaps.push(engine.snapshot());
      }
      for (let i = 0; i < 30; i += 2) snaps[i]?.release();
      for (let i = 1; i < 30; i += 2) {
        const snap = snaps[i];
        assert.ok(snap !== undefined);
        assert.equal(s(await snap.get('default', b('k'))), `v${i}`);
        assert.equal(s(await snap.get('default', b('gone'))), i % 3 === 0 ? undefined : `g${i}`);
        snap.release();
      }
    },
  },
  {
    name: 'bad arguments get typed errors: wrong table, non-bytes keys, inverted ranges, bad limits',
    async run({ engine }) {
      await rejectsWith(engine.get('nope', b('k')), 'TableNotFound');
      await rejectsWith(engine.getMulti('nope', [b('k')]), 'TableNotFound');
      throwsWith(() => engine.scan('nope'), 'TableNotFound');
      await rejectsWith(engine.write([put('k', 'v', 'nope')]), 'TableNotFound');
      for (const bad of ['k', 42, null, undefined, [1, 2], new ArrayBuffer(2), new DataView(new ArrayBuffer(2)), new Uint16Array(2)]) {
        const key = bad as unknown as Uint8Array;
        await rejectsWith(engine.get('default', key), 'InvalidArgument', `get(${Object.prototype.toString.call(bad)})`);
        await rejectsWith(engine.getMulti('default', [b('ok'), key]), 'InvalidArgument');
        await rejectsWith(engine.write([{ type: 'put', table: 'default', key, value: b('v') }]), 'InvalidArgument');
        await rejectsWith(engine.write([{ type: 'put', table: 'default', key: b('k'), value: key }]), 'InvalidArgument');
        await rejectsWith(engine.write([{ type: 'delete', table: 'default', key }]), 'InvalidArgument');
        await rejectsWith(engine.write([{ type: 'deleteRange', table: 'default', start: key, end: b('z') }]), 'InvalidArgument');
        // For the optional scan bounds, undefined means "not given", so it is not a bad value there.
        if (bad !== undefined) {
          throwsWith(() => engine.scan('default', { start: key }), 'InvalidArgument');
          throwsWith(() => engine.scan('default', { end: key }), 'InvalidArgument');
          throwsWith(() => engine.scan('default', { prefix: key }), 'InvalidArgument');
        }
      }
      await rejectsWith(engine.getMulti('default', 'k' as unknown as Uint8Array[]), 'InvalidArgument');
      await rejectsWith(engine.get(7 as unknown as string, b('k')), 'InvalidArgument');
      throwsWith(() => engine.scan('default', { start: b('b'), end: b('a') }), 'InvalidArgument', 'inverted scan');
      await rejectsWith(engine.write([delRange('b', 'a')]), 'InvalidArgument', 'inverted deleteRange');
      for (const limit of [-1, 1.5, Number.NaN, Infinity, '3']) {
        throwsWith(() => engine.scan('default', { limit: limit as number }), 'InvalidArgument', `limit ${String(limit)}`);
      }
      await rejectsWith(engine.write('ops' as unknown as WriteOp[]), 'InvalidArgument');
      await rejectsWith(engine.write([null as unknown as WriteOp]), 'InvalidArgument');
      await rejectsWith(engine.write([{ type: 'merge', table: 'default', key: b('k') } as unknown as WriteOp]), 'InvalidArgument');
      await rejectsWith(engine.write([], { sync: 'yes' as unknown as boolean }), 'InvalidArgument');
      const snap = engine.snapshot();
      await rejectsWith(snap.get('nope', b('k')), 'TableNotFound');
      await rejectsWith(snap.get('default', 'k' as unknown as Uint8Array), 'InvalidArgument');
      snap.release();
      assert.deepEqual(await keys(engine), [], 'no bad call changed anything');
    },
  },
  {
    name: 'keys and values up to the limits are stored; one byte over is InvalidArgument',
    async run({ engine }) {
      const { maxKeySize, maxValueSize } = engine.limits;
      const bigKey = new Uint8Array(maxKeySize).fill(7);
      const bigValue = new Uint8Array(Math.min(maxValueSize, 4 << 20)).fill(9);
      await engine.write([{ type: 'put', table: 'default', key: bigKey, value: bigValue }]);
      assert.equal((await engine.get('default', bigKey))?.length, bigValue.length);
      await rejectsWith(engine.write([{ type: 'put', table: 'default', key: new Uint8Array(maxKeySize + 1), value: b('v') }]), 'InvalidArgument');
      await rejectsWith(engine.get('default', new Uint8Array(maxKeySize + 1)), 'InvalidArgument');
      await rejectsWith(
        engine.write([{ type: 'put', table: 'default', key: b('k'), value: new Uint8Array(maxValueSize + 1) }]),
        'InvalidArgument',
      );
    },
  },
  {
    name: 'empty keys and empty values are ordinary',
    async run({ engine }) {
      await engine.write([{ type: 'put', table: 'default', key: new Uint8Array(0), value: new Uint8Array(0) }, put('a', '')]);
      const got = await engine.get('default', new Uint8Array(0));
      assert.ok(got !== undefined && got.length === 0, 'an empty value is not a missing one');
      assert.deepEqual(await collectStrings(engine.scan('default')), [
        ['', ''],
        ['a', ''],
      ]);
      await engine.write([{ type: 'delete', table: 'default', key: new Uint8Array(0) }]);
      assert.deepEqual(await keys(engine), ['a']);
    },
  },
  {
    name: 'the engine copies what it is given and what it returns',
    async run({ engine }) {
      const key = b('key');
      const value = b('value');
      const pending = engine.write([{ type: 'put', table: 'default', key, value }]);
      key.fill(0);
      value.fill(0);
      await pending;
      const got = await engine.get('default', b('key'));
      assert.equal(s(got), 'value');
      got?.fill(0);
      assert.equal(s(await engine.get('default', b('key'))), 'value');
      const [entry] = await collect(engine.scan('default'));
      entry?.key.fill(0);
      entry?.value.fill(0);
      assert.deepEqual(await collectStrings(engine.scan('default')), [['key', 'value']]);
      // Views with an offset into a larger buffer, and Buffers, are read correctly.
      const backing = b('xxsubkeyxx');
      await engine.write([{ type: 'put', table: 'default', key: backing.subarray(2, 8), value: Buffer.from('buffer-value') }]);
      assert.equal(s(await engine.get('default', Buffer.from('subkey'))), 'buffer-value');
    },
  },
  {
    name: 'concurrent writes all land, each atomically',
    async run({ engine }) {
      const writes = [];
      for (let i = 0; i < 200; i++) {
        const k = String(i).padStart(3, '0');
        writes.push(engine.write([put(`a${k}`, k), put(`b${k}`, k, 'other')], { sync: i % 50 === 0 }));
      }
      await Promise.all(writes);
      assert.equal((await collect(engine.scan('default'))).length, 200);
      assert.equal((await collect(engine.scan('other'))).length, 200);
      assert.equal(s(await engine.get('other', b('b137'))), '137');
    },
  },
  {
    name: 'sync writes and empty batches are accepted',
    async run({ engine }) {
      await engine.write([put('s', '1')], { sync: true });
      await engine.write([], { sync: true });
      await engine.write([]);
      assert.equal(s(await engine.get('default', b('s'))), '1');
    },
  },
  {
    name: 'after close every call fails with Closed, and close is idempotent',
    async run(h) {
      const { engine } = h;
      await engine.write([put('a', '1'), put('b', '2')]);
      const snap = engine.snapshot();
      const it = engine.scan('default');
      await it.next();
      await engine.close();
      await engine.close();
      await rejectsWith(engine.get('default', b('a')), 'Closed');
      await rejectsWith(engine.getMulti('default', [b('a')]), 'Closed');
      await rejectsWith(engine.write([put('c', '3')]), 'Closed');
      throwsWith(() => engine.scan('default'), 'Closed');
      throwsWith(() => engine.snapshot(), 'Closed');
      await rejectsWith(snap.get('default', b('a')), 'Closed', 'a snapshot of a closed engine');
      await rejectsWith(it.next(), 'Closed', 'an iterator of a closed engine');
    },
  },
  {
    name: 'a large table scans in order, forward and back',
    async run({ engine }) {
      const n = 5000;
      const ops: WriteOp[] = [];
      for (let i = 0; i < n; i++) ops.push(put(`key${String((i * 7919) % n).padStart(5, '0')}`, String(i)));
      await engine.write(ops.slice(0, n / 2));
      await engine.write(ops.slice(n / 2));
      const forward = await keys(engine);
      assert.equal(forward.length, n);
      assert.deepEqual(forward, [...forward].sort());
      const backward = (await collectStrings(engine.scan('default', { reverse: true }))).map(([k]) => k);
      assert.deepEqual(backward, [...forward].reverse());
    },
  },
  {
    name: 'everything written survives a clean close and reopen',
    persistentOnly: true,
    async run(h) {
      await h.engine.write([put('a', '1'), put('b', '2'), put('c', '3'), put('x', 'y', 'other')]);
      await h.engine.write([del('b'), delRange('c', 'd')], { sync: true });
      await h.engine.write([put('d', '4')]);
      await h.reopen?.();
      assert.deepEqual(await collectStrings(h.engine.scan('default')), [
        ['a', '1'],
        ['d', '4'],
      ]);
      assert.equal(s(await h.engine.get('other', b('x'))), 'y');
      await h.engine.write([put('e', '5')]);
      await h.reopen?.();
      assert.deepEqual(await keys(h.engine), ['a', 'd', 'e']);
    },
  },
];
