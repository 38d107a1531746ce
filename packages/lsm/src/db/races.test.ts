// Races between maintenance calls, close and background work, found in
// review: each once hung the event loop, dropped a write or made the database
// unopenable. Each test replays the interleaving that broke it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FaultFileSystem, MemFileSystem, NodeFileSystem, type File } from '@strata/vfs';
import { makeTempDir } from '@strata/vfs/testing';
import { LsmEngine } from './lsm-engine.js';

const enc = new TextEncoder();
const put = (key: string, value = 'v') => ({ type: 'put' as const, table: 't', key: enc.encode(key), value: enc.encode(value) });

/** Fails the test if `p` does not settle within `ms` (a hang would otherwise stall the whole run). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('LsmEngine races', () => {
  it('two flush() calls at once both finish, on a real disk', async () => {
    const tmp = makeTempDir();
    try {
      const db = await LsmEngine.open({ tables: ['t'], fs: new NodeFileSystem(), dir: `${tmp.path}/db`, compactionThread: false });
      await db.write([put('a')]);
      await within(Promise.all([db.flush(), db.flush(), db.compactAll()]), 10_000, 'concurrent flushes');
      await db.write([put('b')]);
      const f = db.flush().catch((err: unknown) => err);
      await within(db.close(), 10_000, 'close during flush');
      const outcome = await f;
      assert.ok(outcome === undefined || (outcome as { code?: string }).code === 'Closed');
    } finally {
      tmp.remove();
    }
  });

  it('a write issued before close() commits and survives', async () => {
    const fs = new MemFileSystem();
    const db = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
    const w = db.write([put('a', '49')]);
    await db.close();
    await w;
    const again = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
    assert.equal(new TextDecoder().decode(await again.get('t', enc.encode('a'))), '49');
    await again.close();
  });

  it('close() while a flush is waiting for background work does not leave flush() spinning', async () => {
    const db = await LsmEngine.open({ tables: ['t'], fs: new MemFileSystem(), dir: '/db', backgroundSliceMs: 0 });
    const ops = Array.from({ length: 5000 }, (_, i) => put(`k${i}`));
    await db.write(ops);
    const f = db.flush().catch((err: unknown) => err);
    await nextTurn();
    await nextTurn();
    await within(db.close(), 10_000, 'close');
    const outcome = await within(f, 10_000, 'flush after close');
    assert.ok(outcome === undefined || (outcome as { code?: string }).code === 'Closed');
  });

  it('a scan released while a new manifest is being written does not delete it', async () => {
    const tmp = makeTempDir();
    try {
      let onManifest: (() => void) | undefined;
      class Fs extends NodeFileSystem {
        override create(path: string, options?: { readonly exclusive?: boolean }): File {
          const f = super.create(path, options);
          if (/MANIFEST-/.test(path) && onManifest !== undefined) {
            const cb = onManifest;
            onManifest = undefined;
            setImmediate(cb);
          }
          return f;
        }
      }
      const options = { tables: ['t'], fs: new Fs(), dir: `${tmp.path}/db`, manifestMaxBytes: 1024, disableAutoCompactions: true, compactionThread: false };
      const db = await LsmEngine.open(options);
      const big = 'x'.repeat(300);
      let i = 0;
      for (let n = 0; n < 2; n++) {
        await db.write([put(`${big}${i++}`)]);
        await db.flush();
      }
      const scan = db.scanSync('t');
      scan.next();
      await db.write([put(`${big}${i++}`)]);
      await db.flush();
      onManifest = () => scan.return?.();
      await db.write([put(`${big}${i++}`)]);
      await db.flush(); // rolls the manifest over while the scan is released
      assert.equal(onManifest, undefined, 'the rollover happened');
      await db.close();
      const again = await LsmEngine.open(options);
      assert.equal([...again.scanSync('t')].length, i);
      await again.close();
    } finally {
      tmp.remove();
    }
  });

  for (const fault of [
    { name: 'a torn manifest append', rule: { ops: ['append' as const], path: /MANIFEST/, times: 1, partialWrite: true } },
    { name: 'a failed manifest sync', rule: { ops: ['sync' as const], path: /MANIFEST/, times: 1 } },
  ]) {
    it(`after ${fault.name} while a compaction runs, reopening finds every acknowledged write`, async () => {
      const mem = new MemFileSystem();
      const fs = new FaultFileSystem(mem, { seed: 7 });
      const options = { tables: ['t'], dir: '/db', l0CompactionTrigger: 2, backgroundSliceMs: 0, writeBufferSize: 1 << 24 };
      const db = await LsmEngine.open({ ...options, fs });
      const acked = new Map<string, string>();
      let n = 0;
      const fill = async (count: number): Promise<void> => {
        const batch = Array.from({ length: count }, () => {
          const k = `k${String((n * 7919) % 6000).padStart(8, '0')}`;
          const v = `v${n++}`;
          return { k, v };
        });
        await db.write(batch.map(({ k, v }) => put(k, v)));
        for (const { k, v } of batch) acked.set(k, v);
      };
      await fill(3000);
      await db.flush();
      await fill(3000);
      await db.flush(); // two L0 files: a compaction starts, in slices
      await fill(200);
      fs.inject(fault.rule);
      await db.flush().catch(() => undefined);
      await db.waitForCompactions().catch(() => undefined);
      await db.close().catch(() => undefined);
      const again = await LsmEngine.open({ ...options, fs: mem });
      const got = new Map([...again.scanSync('t')].map((e) => [new TextDecoder().decode(e.key), new TextDecoder().decode(e.value)]));
      assert.deepEqual(got, acked);
      await again.close();
    });
  }
  it('a memtable that cannot grow fails the group and the engine stops, with nothing hung', async () => {
    const fs = new MemFileSystem();
    const db = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
    const Real = globalThis.SharedArrayBuffer;
    // The arena's first chunk cannot be allocated (as under memory pressure).
    globalThis.SharedArrayBuffer = class {
      constructor() {
        throw new RangeError('Array buffer allocation failed');
      }
    } as unknown as SharedArrayBufferConstructor;
    let first: unknown;
    try {
      first = await within(
        db.write([put('a')]).then(
          () => undefined,
          (err: unknown) => err,
        ),
        5_000,
        'the failed write',
      );
    } finally {
      globalThis.SharedArrayBuffer = Real;
    }
    assert.ok(first instanceof Error && 'code' in first, `a typed engine error, got ${String(first)}`);
    // Fail-stop: later writes get the original error, and close() finishes.
    await assert.rejects(within(db.write([put('b')]), 5_000, 'a later write'), (err: unknown) => err === first);
    await within(db.close(), 5_000, 'close after the failed group');
    // The group reached the WAL before the memtable failed: its outcome was unknown, and replay keeps it.
    const again = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
    assert.deepEqual(await again.get('t', enc.encode('a')), enc.encode('v'));
    assert.equal(await again.get('t', enc.encode('b')), undefined);
    await again.close();
  });
});
