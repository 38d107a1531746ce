// The crash-recovery property for persistent engines, run on MemFileSystem.
// Random steps issue batches of writes (synced or not, several at once, some
// still in flight), run engine maintenance, reopen cleanly, or crash: the
// filesystem is crash-cloned (power loss: synced bytes plus torn prefixes of
// the rest; or process crash: every byte the OS was given) and the engine
// is reopened on the clone. After each crash the recovered state must equal
// the model after some prefix of the writes issued since the last check:
//   - no shorter than the last acknowledged synced write (power loss), or
//     the last acknowledged write of any kind (process crash);
//   - exactly a prefix, so no holes, no half batches, no resurrected deletes.
// The engine must commit writes in the order write() was called.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemFileSystem, type FileSystem } from '@strata/vfs';
import type { StorageEngine, WriteOp } from '../storage-engine.js';
import { dumpEngine } from './helpers.js';
import { ModelStore } from './model.js';

const TABLES = ['t0', 't1'] as const;
const DIR = '/db';

export interface CrashEngineFactory {
  readonly name: string;
  /** Opens, or recovers, the engine stored in `dir` on `fs`. */
  open(fs: FileSystem, dir: string, tables: readonly string[]): Promise<StorageEngine>;
  /** Optional engine-specific background work to exercise (flush, compaction, checkpoint). */
  maintain?(engine: StorageEngine): Promise<void>;
}

interface Batch {
  readonly ops: readonly WriteOp[];
  readonly sync: boolean;
}

export type CrashStep =
  | { readonly kind: 'writes'; readonly batches: readonly Batch[]; readonly settle: 'all' | 'none' | number }
  | { readonly kind: 'crash'; readonly crash: 'power' | 'process'; readonly seed: number }
  | { readonly kind: 'reopen' }
  | { readonly kind: 'maintain' };

const keyArb = fc.constantFrom(...['a', 'b', 'c', 'd', 'e', 'f'].map((k) => new TextEncoder().encode(k)));
const tableArb = fc.constantFrom(...TABLES);
const opArb: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('put' as const), table: tableArb, key: keyArb, value: fc.uint8Array({ minLength: 1, maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('delete' as const), table: tableArb, key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ table: tableArb, a: keyArb, b: keyArb }).map(({ table, a, b }): WriteOp => {
      const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      return { type: 'deleteRange', table, start, end };
    }),
  },
);
const batchArb: fc.Arbitrary<Batch> = fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 3 }), sync: fc.boolean() });

export const crashStepArb: fc.Arbitrary<CrashStep> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('writes' as const),
      batches: fc.array(batchArb, { minLength: 1, maxLength: 4 }),
      settle: fc.oneof(fc.constant('all' as const), fc.constant('none' as const), fc.integer({ min: 1, max: 3 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), crash: fc.constantFrom('power' as const, 'process' as const), seed: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.constant<CrashStep>({ kind: 'reopen' }) },
  { weight: 1, arbitrary: fc.constant<CrashStep>({ kind: 'maintain' }) },
);

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Issued extends Batch {
  resolved: boolean;
  readonly done: Promise<void>;
}

/** Runs one step sequence; throws with a description on the first violation. */
export async function runCrashSteps(factory: CrashEngineFactory, steps: readonly CrashStep[]): Promise<void> {
  let fs = new MemFileSystem();
  let engine = await factory.open(fs, DIR, TABLES);
  let verified = new ModelStore(TABLES);
  let issued: Issued[] = [];
  const abandoned: StorageEngine[] = [];
  try {
    for (const [i, step] of steps.entries()) {
      switch (step.kind) {
        case 'writes': {
          const started = step.batches.map((batch) => {
            const entry: Issued = {
              ...batch,
              resolved: false,
              done: engine.write(batch.ops, { sync: batch.sync }).then(() => {
                entry.resolved = true;
              }),
            };
            issued.push(entry);
            return entry.done;
          });
          if (step.settle === 'all') await Promise.all(started);
          else if (typeof step.settle === 'number') for (let k = 0; k < step.settle; k++) await macrotask();
          break;
        }
        case 'maintain':
          if (factory.maintain !== undefined) await factory.maintain(engine);
          break;
        case 'reopen': {
          await Promise.all(issued.map((w) => w.done));
          await engine.close();
          engine = await factory.open(fs, DIR, TABLES);
          for (const w of issued) verified.apply(w.ops);
          issued = [];
          assert.deepEqual(await dumpEngine(engine, TABLES), verified.dump(), `step ${i}: a clean reopen lost or changed data`);
          break;
        }
        case 'crash': {
          // What the caller has seen acknowledged at the instant of the crash.
          let mustKeep = 0;
          issued.forEach((w, idx) => {
            if (w.resolved && (step.crash === 'process' || w.sync)) mustKeep = idx + 1;
          });
          const clone = fs.crashClone({ seed: step.seed, kind: step.crash });
          abandoned.push(engine);
          fs = clone;
          engine = await factory.open(fs, DIR, TABLES);
          const state = await dumpEngine(engine, TABLES);
          const candidate = verified.clone();
          for (let k = 0; k < mustKeep; k++) candidate.apply((issued[k] as Issued).ops);
          let matched: ModelStore | undefined;
          for (let p = mustKeep; ; p++) {
            if (JSON.stringify(candidate.dump()) === JSON.stringify(state)) {
              matched = candidate;
              break;
            }
            const next = issued[p];
            if (next === undefined) break;
            candidate.apply(next.ops);
          }
          assert.ok(
            matched !== undefined,
            `step ${i}: after a ${step.crash} crash the state is not the model after any prefix of ` +
              `${issued.length} issued writes of length >= ${mustKeep} (acknowledged)\n` +
              `recovered: ${JSON.stringify(state)}\nlast acknowledged prefix: ${JSON.stringify(verified.dump())}`,
          );
          verified = matched;
          issued = [];
          break;
        }
      }
    }
  } finally {
    await Promise.allSettled(issued.map((w) => w.done));
    await engine.close();
    await Promise.allSettled(abandoned.map((e) => e.close()));
  }
}

export interface CrashCheckOptions {
  readonly numRuns: number;
  readonly seed: number;
  /** Longest step sequence; default 20. */
  readonly maxSteps?: number;
}

export function crashRecoveryProperty(factory: CrashEngineFactory, options: CrashCheckOptions): fc.IAsyncProperty<[CrashStep[]]> {
  return fc.asyncProperty(fc.array(crashStepArb, { minLength: 1, maxLength: options.maxSteps ?? 20, size: 'max' }), (steps) =>
    runCrashSteps(factory, steps),
  );
}

/** Runs the crash-recovery property and reports the outcome instead of throwing. */
export function checkCrashRecovery(factory: CrashEngineFactory, options: CrashCheckOptions): Promise<fc.RunDetails<[CrashStep[]]>> {
  return fc.check(crashRecoveryProperty(factory, options), { numRuns: options.numRuns, seed: options.seed });
}
