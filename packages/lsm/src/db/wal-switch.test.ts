// A memtable switch no longer waits for the old WAL's fdatasync: the old WAL
// (and the new WAL's directory entry) are synced in the background. These
// tests hold that sync back (a filesystem whose file syncs wait at a gate),
// take power-loss images inside the window and check the promises that
// remain: recovery never fails, it finds a prefix of the writes (no holes),
// and a synced write after the switch waits for the older WAL and is then
// durable together with everything before it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isEngineError } from '@strata/engine';
import { FaultFileSystem, MemFileSystem, type FileSystem } from '@strata/vfs';
import { interceptFiles, testSeed } from '@strata/vfs/testing';
import { LsmEngine } from './lsm-engine.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const key = (i: number): string => `k${String(i).padStart(6, '0')}`;
const put = (i: number) => ({ type: 'put' as const, table: 't', key: enc.encode(key(i)), value: enc.encode(`value-${i}-`.repeat(8)) });

/** The keys in the database, in order. */
async function keysIn(fs: MemFileSystem): Promise<string[]> {
  const db = await LsmEngine.open({ tables: ['t'], fs, dir: '/db' });
  try {
    const out: string[] = [];
    for await (const e of db.scan('t')) out.push(dec.decode(e.key));
    return out;
  } finally {
    await db.close();
  }
}

function walCount(fs: MemFileSystem): number {
  return fs.list('/db').filter((n) => n.endsWith('.log')).length;
}

/**
 * `fs` whose file syncs, once close() is called, wait until open(): the old WAL's
 * background sync cannot end, and neither can a flush (its table's sync), so
 * recovery must still replay the old WAL.
 */
function gated(fs: MemFileSystem, which: (path: string) => boolean = () => true): { fs: FileSystem; close: () => void; open: () => void } {
  let closed = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const wrapped = interceptFiles(fs, (f) => ({
    datasync: async (): Promise<void> => {
      if (closed && which(f.path)) await gate;
      await f.datasync();
    },
    sync: async (): Promise<void> => {
      if (closed && which(f.path)) await gate;
      await f.sync();
    },
  }));
  return {
    fs: wrapped,
    close: () => {
      closed = true;
    },
    open: release,
  };
}

/** The engine options every test here uses: tiny memtables, so writes switch them quickly. */
const OPTIONS = { tables: ['t'], dir: '/db', writeBufferSize: 4096, disableAutoCompactions: true };

/** An engine on a gated MemFileSystem, the gate closed once it is open. */
async function openGated(which?: (path: string) => boolean): Promise<{ mem: MemFileSystem; g: ReturnType<typeof gated>; db: LsmEngine }> {
  const mem = new MemFileSystem();
  const g = gated(mem, which);
  const db = await LsmEngine.open({ ...OPTIONS, fs: g.fs });
  g.close();
  return { mem, g, db };
}

/** Keys 0 .. n-1, as written. */
const keysBelow = (n: number): string[] => Array.from({ length: n }, (_, i) => key(i));

/** Writes keys n, n+1, ..., one awaited write each, until `mem` holds `wals` WALs; returns the next key number. */
async function writeUntilWals(db: LsmEngine, mem: MemFileSystem, wals: number, n = 0, sync = false): Promise<number> {
  while (walCount(mem) < wals) {
    assert.ok(n < 10_000, 'no memtable switch');
    await db.write([put(n++)], { sync });
  }
  return n;
}

/** Writes keys 0, 1, ... until the memtable switches, then `after` more; returns how many were written and when the switch came. */
async function writeThroughSwitch(db: LsmEngine, mem: MemFileSystem, after: number): Promise<{ n: number; beforeSwitch: number }> {
  let n = await writeUntilWals(db, mem, 2);
  const beforeSwitch = n - 1;
  for (let j = 0; j < after; j++) await db.write([put(n++)]);
  return { n, beforeSwitch };
}

describe('memtable switch with the old WAL synced in the background', () => {
  it('a power loss before the old WAL is synced recovers to a prefix of the writes, never to an error', async () => {
    const seed = testSeed('wal switch power loss');
    const { mem, g, db } = await openGated();
    const { n, beforeSwitch } = await writeThroughSwitch(db, mem, 20);
    const written = keysBelow(n);
    let lostBeforeSwitch = 0;
    for (let s = 0; s < 40; s++) {
      const got = await keysIn(mem.crashClone({ seed: seed + s, kind: 'power' }));
      assert.deepEqual(got, written.slice(0, got.length), `seed ${seed + s}: recovered keys are not a prefix of the writes`);
      if (got.length < beforeSwitch) lostBeforeSwitch++;
    }
    // The window was really hit: images lost old-WAL records while the new WAL held later ones.
    assert.ok(lostBeforeSwitch > 0, 'no image lost the old WAL tail');
    g.open();
    await db.close();
    assert.deepEqual(await keysIn(mem.crashClone({ seed, kind: 'power', unsynced: 'none' })), written);
  });

  it('a synced write after a switch waits for the older WAL, then survives with everything before it', async () => {
    const seed = testSeed('wal switch synced');
    const { mem, g, db } = await openGated();
    let { n } = await writeThroughSwitch(db, mem, 3);
    let synced = false;
    const w = db.write([put(n++)], { sync: true }).then(() => {
      synced = true;
    });
    for (let t = 0; t < 20; t++) await nextTurn();
    assert.equal(synced, false, 'a synced write resolved while an older WAL was unsynced');
    g.open();
    await w;
    const written = keysBelow(n);
    for (let s = 0; s < 10; s++) {
      assert.deepEqual(await keysIn(mem.crashClone({ seed: seed + s, kind: 'power', unsynced: 'none' })), written);
    }
    await db.close();
  });

  it('damage at the end of a WAL the manifest records as synced is Corruption, not a silent cut', async () => {
    // Flushes never finish (their table syncs wait), so the old WALs stay live and are replayed.
    const { mem, g, db } = await openGated((path) => path.endsWith('.sst'));
    let n = await writeUntilWals(db, mem, 3, 0, true);
    await db.write([put(n++)], { sync: true });
    const image = mem.crashClone({ seed: 1, kind: 'power', unsynced: 'none' });
    const oldest = image.list('/db').filter((f) => f.endsWith('.log')).sort()[0] as string;
    const f = image.open(`/db/${oldest}`, { writable: true });
    const last = f.size() - 1;
    f.writeAt(Uint8Array.of((f.read(last, 1)[0] as number) ^ 0xff), last);
    await f.sync();
    f.close();
    await assert.rejects(LsmEngine.open({ tables: ['t'], fs: image, dir: '/db' }), (err: unknown) => isEngineError(err) && err.code === 'Corruption');
    // Undamaged, the same image holds every synced write.
    const clean = mem.crashClone({ seed: 1, kind: 'power', unsynced: 'none' });
    assert.deepEqual(await keysIn(clean), keysBelow(n));
    g.open();
    await db.close();
  });

  it('a failed background sync of the old WAL fails the engine, and close() reports it', async () => {
    const mem = new MemFileSystem();
    const ffs = new FaultFileSystem(mem, { seed: 7 });
    ffs.inject({ ops: ['datasync'], path: /000001\.log$/ });
    const db = await LsmEngine.open({ ...OPTIONS, fs: ffs });
    const n = await writeUntilWals(db, mem, 2);
    for (let t = 0; t < 5; t++) await nextTurn();
    await assert.rejects(db.write([put(n)]), (err: unknown) => isEngineError(err) && err.code === 'IoError');
    await assert.rejects(db.close(), (err: unknown) => isEngineError(err) && err.code === 'IoError');
  });

  it('a WAL flushed while its background sync ran is deleted once the sync ends', async () => {
    const { mem, g, db } = await openGated((path) => path.endsWith('.log'));
    await writeThroughSwitch(db, mem, 3);
    await db.flush(); // the tables sync; the retired WALs' syncs still wait at the gate
    assert.ok(walCount(mem) >= 2, 'the retired WALs are kept while their sync runs');
    g.open();
    for (let t = 0; t < 20 && walCount(mem) > 1; t++) await nextTurn();
    assert.equal(walCount(mem), 1);
    await db.close();
  });
});
