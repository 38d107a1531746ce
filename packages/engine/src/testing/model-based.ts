// The model-based test: random sequences of writes (puts, deletes,
// deleteRanges, across two tables), reads (get, getMulti, scans with random
// bounds, prefixes, direction and limits), snapshots taken, read and
// released, bad-argument calls, and (for persistent engines) reopens, run
// against the engine and against ModelStore. Every read must match the
// model; every bad call must fail with the right typed error and change
// nothing. Keys come from a tiny alphabet (0x00, 0x01, 'a', 0xff) so that
// collisions, prefixes and 0xff edges are common.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../bytes.js';
import { isEngineError, type EngineErrorCode } from '../errors.js';
import type { Entry, ScanOptions, Snapshot, WriteOp } from '../storage-engine.js';
import type { EngineFactory } from './harness.js';
import { collect } from './helpers.js';
import { ModelStore } from './model.js';

const TABLES = ['t0', 't1'] as const;

export type ModelOp =
  | { readonly kind: 'write'; readonly ops: readonly WriteOp[]; readonly sync: boolean }
  | { readonly kind: 'get'; readonly table: string; readonly key: Uint8Array }
  | { readonly kind: 'getMulti'; readonly table: string; readonly keys: readonly Uint8Array[] }
  | { readonly kind: 'scan'; readonly table: string; readonly options: ScanOptions }
  | { readonly kind: 'snapshot' }
  | { readonly kind: 'snapshotGet'; readonly which: number; readonly table: string; readonly key: Uint8Array }
  | { readonly kind: 'snapshotScan'; readonly which: number; readonly table: string; readonly options: ScanOptions }
  | { readonly kind: 'release'; readonly which: number }
  | { readonly kind: 'reopen' }
  | { readonly kind: 'bad'; readonly call: BadCall };

export type BadCall =
  | { readonly kind: 'writeToMissingTable'; readonly ops: readonly WriteOp[] }
  | { readonly kind: 'invertedDeleteRange'; readonly ops: readonly WriteOp[] }
  | { readonly kind: 'nonBytesKey'; readonly ops: readonly WriteOp[]; readonly badKey: unknown }
  | { readonly kind: 'invertedScan'; readonly table: string; readonly start: Uint8Array; readonly end: Uint8Array }
  | { readonly kind: 'badLimit'; readonly table: string; readonly limit: number }
  | { readonly kind: 'getMissingTable'; readonly key: Uint8Array };

const keyArb: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(0x00, 0x01, 0x61, 0xff), { maxLength: 3 })
  .map((xs) => Uint8Array.from(xs));
const valueArb: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 6 });
const tableArb = fc.constantFrom(...TABLES);

const writeOpArb: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('put' as const), table: tableArb, key: keyArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('delete' as const), table: tableArb, key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ table: tableArb, a: keyArb, b: keyArb })
      .map(({ table, a, b }): WriteOp => {
        const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
        return { type: 'deleteRange', table, start, end };
      }),
  },
);

const scanOptionsArb: fc.Arbitrary<ScanOptions> = fc
  .record(
    {
      a: fc.option(keyArb, { nil: undefined }),
      b: fc.option(keyArb, { nil: undefined }),
      prefix: fc.option(keyArb, { nil: undefined }),
      reverse: fc.boolean(),
      limit: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
    },
    { requiredKeys: ['reverse'] },
  )
  .map(({ a, b, prefix, reverse, limit }) => {
    let start = a;
    let end = b;
    if (start !== undefined && end !== undefined && Buffer.compare(start, end) > 0) [start, end] = [end, start];
    return {
      reverse,
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
      ...(prefix === undefined ? {} : { prefix }),
      ...(limit === undefined ? {} : { limit }),
    };
  });

const badCallArb: fc.Arbitrary<BadCall> = fc.oneof(
  fc
    .array(writeOpArb, { maxLength: 2 })
    .map((ops): BadCall => ({ kind: 'writeToMissingTable', ops: [...ops, { type: 'put', table: 'missing', key: new Uint8Array([1]), value: new Uint8Array() }] })),
  fc.tuple(fc.array(writeOpArb, { maxLength: 2 }), tableArb).map(
    ([ops, table]): BadCall => ({
      kind: 'invertedDeleteRange',
      ops: [...ops, { type: 'deleteRange', table, start: new Uint8Array([0x61, 0x01]), end: new Uint8Array([0x61]) }],
    }),
  ),
  fc
    .tuple(fc.array(writeOpArb, { maxLength: 2 }), fc.constantFrom<unknown>('a', 7, null, [1], new Uint16Array(1)))
    .map(([ops, badKey]): BadCall => ({ kind: 'nonBytesKey', ops, badKey })),
  fc.tuple(tableArb, keyArb).map(([table, k]): BadCall => ({
    kind: 'invertedScan',
    table,
    start: Uint8Array.from([...k, 0x01]),
    end: k,
  })),
  fc.tuple(tableArb, fc.constantFrom(-1, 0.5, Number.NaN)).map(([table, limit]): BadCall => ({ kind: 'badLimit', table, limit })),
  keyArb.map((key): BadCall => ({ kind: 'getMissingTable', key })),
);

function modelOpArb(persistent: boolean): fc.Arbitrary<ModelOp> {
  const arbs: fc.WeightedArbitrary<ModelOp>[] = [
    {
      weight: 8,
      arbitrary: fc
        .record({ ops: fc.array(writeOpArb, { minLength: 1, maxLength: 4 }), sync: fc.boolean() })
        .map(({ ops, sync }): ModelOp => ({ kind: 'write', ops, sync })),
    },
    { weight: 3, arbitrary: fc.record({ table: tableArb, key: keyArb }).map((x): ModelOp => ({ kind: 'get', ...x })) },
    {
      weight: 1,
      arbitrary: fc.record({ table: tableArb, keys: fc.array(keyArb, { maxLength: 4 }) }).map((x): ModelOp => ({ kind: 'getMulti', ...x })),
    },
    { weight: 3, arbitrary: fc.record({ table: tableArb, options: scanOptionsArb }).map((x): ModelOp => ({ kind: 'scan', ...x })) },
    { weight: 1, arbitrary: fc.constant<ModelOp>({ kind: 'snapshot' }) },
    {
      weight: 2,
      arbitrary: fc.record({ which: fc.nat(), table: tableArb, key: keyArb }).map((x): ModelOp => ({ kind: 'snapshotGet', ...x })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ which: fc.nat(), table: tableArb, options: scanOptionsArb })
        .map((x): ModelOp => ({ kind: 'snapshotScan', ...x })),
    },
    { weight: 1, arbitrary: fc.nat().map((which): ModelOp => ({ kind: 'release', which })) },
    { weight: 1, arbitrary: badCallArb.map((call): ModelOp => ({ kind: 'bad', call })) },
  ];
  if (persistent) arbs.push({ weight: 1, arbitrary: fc.constant<ModelOp>({ kind: 'reopen' }) });
  return fc.oneof(...arbs);
}

const hexEntries = (entries: readonly Entry[]): [string, string][] => entries.map((e) => [toHex(e.key), toHex(e.value)]);
const hexValue = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : toHex(v));

async function expectError(what: string, code: EngineErrorCode, call: () => unknown): Promise<void> {
  try {
    await call();
  } catch (err) {
    assert.ok(isEngineError(err, code), `${what}: expected ${code}, got ${String(err)}`);
    return;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

/** Runs one op sequence against a fresh engine and the model; throws on the first divergence. */
export async function runModelOps(factory: EngineFactory, ops: readonly ModelOp[]): Promise<void> {
  const h = await factory.open(TABLES);
  const model = new ModelStore(TABLES);
  let snapshots: { snap: Snapshot; model: ModelStore }[] = [];
  try {
    for (const [i, op] of ops.entries()) {
      const at = `op ${i} (${op.kind})`;
      const e = h.engine;
      switch (op.kind) {
        case 'write':
          await e.write(op.ops, { sync: op.sync });
          model.apply(op.ops);
          break;
        case 'get':
          assert.equal(hexValue(await e.get(op.table, op.key)), hexValue(model.get(op.table, op.key)), at);
          break;
        case 'getMulti':
          assert.deepEqual(
            (await e.getMulti(op.table, op.keys)).map(hexValue),
            op.keys.map((k) => hexValue(model.get(op.table, k))),
            at,
          );
          break;
        case 'scan':
          assert.deepEqual(hexEntries(await collect(e.scan(op.table, op.options))), hexEntries(model.scan(op.table, op.options)), at);
          break;
        case 'snapshot':
          snapshots.push({ snap: e.snapshot(), model: model.clone() });
          break;
        case 'snapshotGet': {
          const s = snapshots[op.which % Math.max(1, snapshots.length)];
          if (s === undefined) break;
          assert.equal(hexValue(await s.snap.get(op.table, op.key)), hexValue(s.model.get(op.table, op.key)), at);
          break;
        }
        case 'snapshotScan': {
          const s = snapshots[op.which % Math.max(1, snapshots.length)];
          if (s === undefined) break;
          assert.deepEqual(
            hexEntries(await collect(s.snap.scan(op.table, op.options))),
            hexEntries(s.model.scan(op.table, op.options)),
            at,
          );
          break;
        }
        case 'release': {
          const idx = op.which % Math.max(1, snapshots.length);
          const s = snapshots[idx];
          if (s === undefined) break;
          s.snap.release();
          snapshots.splice(idx, 1);
          await expectError(`${at}: read after release`, 'Closed', () => s.snap.get(TABLES[0], new Uint8Array()));
          break;
        }
        case 'reopen':
          if (h.reopen === undefined) break;
          for (const s of snapshots) s.snap.release();
          snapshots = [];
          await h.reopen();
          break;
        case 'bad': {
          const c = op.call;
          switch (c.kind) {
            case 'writeToMissingTable':
              await expectError(at, 'TableNotFound', () => e.write(c.ops));
              break;
            case 'invertedDeleteRange':
              await expectError(at, 'InvalidArgument', () => e.write(c.ops));
              break;
            case 'nonBytesKey':
              await expectError(at, 'InvalidArgument', () =>
                e.write([...c.ops, { type: 'put', table: TABLES[0], key: c.badKey as Uint8Array, value: new Uint8Array() }]),
              );
              await expectError(at, 'InvalidArgument', () => e.get(TABLES[0], c.badKey as Uint8Array));
              break;
            case 'invertedScan':
              await expectError(at, 'InvalidArgument', () => e.scan(c.table, { start: c.start, end: c.end }));
              break;
            case 'badLimit':
              await expectError(at, 'InvalidArgument', () => e.scan(c.table, { limit: c.limit }));
              break;
            case 'getMissingTable':
              await expectError(at, 'TableNotFound', () => e.get('missing', c.key));
              break;
          }
          break;
        }
      }
    }
    // The whole state matches at the end.
    for (const t of TABLES) assert.deepEqual(hexEntries(await collect(h.engine.scan(t))), hexEntries(model.scan(t)), `final ${t}`);
  } finally {
    for (const s of snapshots) s.snap.release();
    await h.dispose();
  }
}

export interface ModelCheckOptions {
  readonly numRuns: number;
  readonly seed: number;
  /** Include reopen ops (the engine must persist). */
  readonly persistent: boolean;
  /** Longest op sequence; default 60. */
  readonly maxOps?: number;
}

/** The fast-check property behind the model-based test. */
export function engineModelProperty(factory: EngineFactory, options: ModelCheckOptions): fc.IAsyncProperty<[ModelOp[]]> {
  return fc.asyncProperty(fc.array(modelOpArb(options.persistent), { maxLength: options.maxOps ?? 60, size: 'max' }), (ops) =>
    runModelOps(factory, ops),
  );
}

/** Runs the model-based test and reports the outcome instead of throwing (used to prove the suite can fail). */
export function checkEngineModel(factory: EngineFactory, options: ModelCheckOptions): Promise<fc.RunDetails<[ModelOp[]]>> {
  return fc.check(engineModelProperty(factory, options), { numRuns: options.numRuns, seed: options.seed });
}
