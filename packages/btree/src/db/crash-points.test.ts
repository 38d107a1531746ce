// Crashes inside commits. Every page write to the data file may take crash
// images of the filesystem at that instant: a power loss that keeps a prefix
// of the unsynced writes, one that keeps a random subset (a device reordering
// its writes), and a process crash that keeps everything. Each image must
// recover to exactly the model after some number of whole batches: no fewer
// than the last acknowledged synced batch (power loss) or the last
// acknowledged batch (process crash), and no more than were issued. A batch
// that had not committed vanishes whole.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex, type WriteOp } from '@strata/engine';
import { collect } from '@strata/engine/testing';
import { MemFileSystem, Rng, type File, type FileSystem } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { BtreeEngine } from './btree-engine.js';

const TABLES = ['t0', 't1'];

/** `fs` with a hook run before every writeAt to a .btree file. */
function hooked(fs: MemFileSystem, before: () => void): FileSystem {
  const wrapFile = (f: File): File =>
    new Proxy(f, {
      get(target, prop, receiver): unknown {
        if (prop === 'writeAt' && target.path.endsWith('.btree')) {
          return (data: Uint8Array, position: number): void => {
            before();
            target.writeAt(data, position);
          };
        }
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return new Proxy(fs, {
    get(target, prop, receiver): unknown {
      if (prop === 'open' || prop === 'create') {
        return (path: string, options?: object): File => wrapFile(prop === 'open' ? target.open(path, options) : target.create(path, options));
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function randomBatch(rng: Rng): WriteOp[] {
  const key = (): Uint8Array => new TextEncoder().encode(`k${String(rng.int(300)).padStart(3, '0')}`);
  const ops: WriteOp[] = [];
  for (let n = rng.range(1, 20); n > 0; n--) {
    const table = rng.pick(TABLES);
    const r = rng.float();
    if (r < 0.75) ops.push({ type: 'put', table, key: key(), value: rng.bytes(rng.chance(0.05) ? rng.range(500, 2500) : rng.range(0, 120)) });
    else if (r < 0.95) ops.push({ type: 'delete', table, key: key() });
    else {
      const [a, b] = [key(), key()].sort((x, y) => Buffer.compare(x, y)) as [Uint8Array, Uint8Array];
      ops.push({ type: 'deleteRange', table, start: a, end: b });
    }
  }
  return ops;
}

type State = Record<string, Map<string, string>>;

function apply(state: State, ops: readonly WriteOp[]): State {
  const next: State = Object.fromEntries(Object.entries(state).map(([t, m]) => [t, new Map(m)]));
  for (const op of ops) {
    const m = next[op.table] as Map<string, string>;
    if (op.type === 'put') m.set(toHex(op.key), toHex(op.value));
    else if (op.type === 'delete') m.delete(toHex(op.key));
    else for (const k of [...m.keys()]) if (k >= toHex(op.start) && k < toHex(op.end)) m.delete(k);
  }
  return next;
}

function dumpState(s: State): string {
  return JSON.stringify(TABLES.map((t) => [...(s[t] as Map<string, string>)].sort((a, b) => (a[0] < b[0] ? -1 : 1))));
}

async function dumpEngine(db: BtreeEngine): Promise<string> {
  const out: [string, string][][] = [];
  for (const t of TABLES) out.push((await collect(db.scan(t))).map((e): [string, string] => [toHex(e.key), toHex(e.value)]));
  return JSON.stringify(out);
}

interface Image {
  readonly fs: MemFileSystem;
  readonly kind: string;
  /** Batches that must be present, and batches issued so far. */
  readonly min: number;
  readonly max: number;
}

describe('BtreeEngine crashes in the middle of commits', () => {
  it('every image taken at a page write recovers to a whole-batch prefix no older than acknowledged', async () => {
    const seed = testSeed('btree crash points');
    const rng = new Rng(seed);
    let checked = 0;
    let fellBack = 0;
    for (let round = 0; round < 12; round++) {
      const mem = new MemFileSystem();
      let acked = 0;
      let syncedAcked = 0;
      let issued = 0;
      const images: Image[] = [];
      const fs = hooked(mem, () => {
        if (issued === 0 || !rng.chance(0.04)) return;
        const s = rng.u32();
        images.push({ fs: mem.crashClone({ seed: s }), kind: `power/prefix ${s}`, min: syncedAcked, max: issued });
        images.push({ fs: mem.crashClone({ seed: s, unsynced: 'reorder' }), kind: `power/reorder ${s}`, min: syncedAcked, max: issued });
        images.push({ fs: mem.crashClone({ seed: s, kind: 'process' }), kind: 'process', min: acked, max: issued });
      });
      const db = await BtreeEngine.open({ fs, dir: '/db', tables: TABLES, pageSize: 1024, cacheBytes: 8192, syncEveryBytes: 8192 });
      const states: string[] = [dumpState(Object.fromEntries(TABLES.map((t) => [t, new Map<string, string>()])))];
      let state: State = Object.fromEntries(TABLES.map((t) => [t, new Map<string, string>()]));
      for (let b = 1; b <= 60; b++) {
        const ops = randomBatch(rng);
        const sync = rng.chance(0.15);
        state = apply(state, ops);
        states.push(dumpState(state));
        issued = b;
        await db.write(ops, { sync });
        acked = b;
        if (sync) syncedAcked = b;
      }
      await db.close();
      for (const img of images) {
        const re = await BtreeEngine.open({ fs: img.fs, dir: '/db', tables: TABLES });
        try {
          const got = await dumpEngine(re);
          const j = states.indexOf(got, img.min);
          assert.ok(
            j >= img.min && j <= img.max,
            `seed ${seed} round ${round} (${img.kind}): recovered state is not the model after ${img.min}..${img.max} batches (found at ${j})`,
          );
          if (j < img.max) fellBack++;
          await re.verify();
          // The recovered engine keeps working.
          await re.write([{ type: 'put', table: 't0', key: new Uint8Array([1]), value: new Uint8Array([2]) }], { sync: true });
        } finally {
          await re.close();
        }
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} crash images were taken`);
    assert.ok(fellBack > 0, 'no image lost an unacknowledged batch: the crash points never hit a commit early');
  });
});
