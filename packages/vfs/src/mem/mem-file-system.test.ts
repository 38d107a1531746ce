import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeFileSystem, readWholeFile as readAll, testSeed } from '../testing/index.js';
import { applyOps, type PendingFileOp } from './file-node.js';
import { MemFileSystem } from './mem-file-system.js';

describeFileSystem('MemFileSystem', () => {
  const fs = new MemFileSystem();
  fs.mkdir('/work');
  return { fs, root: '/work', cleanup: () => undefined };
});

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---- File data: operations on one file whose name is already durable. ----

type DataOp =
  | { readonly kind: 'append'; readonly bytes: Uint8Array }
  | { readonly kind: 'writeAt'; readonly slack: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly slack: number }
  | { readonly kind: 'sync' }
  | { readonly kind: 'syncNoWait' };

const dataOpArb: fc.Arbitrary<DataOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('writeAt' as const),
      slack: fc.nat({ max: 1000 }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), slack: fc.nat({ max: 1000 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'syncNoWait' as const }) },
);

/** Runs `ops` on /f and returns the model: the content as of the last completed sync, and every op since. */
async function runDataOps(fs: MemFileSystem, ops: readonly DataOp[]): Promise<{ durable: Uint8Array; pending: PendingFileOp[] }> {
  const f = fs.create('/f');
  await fs.syncDir('/');
  let durable: Uint8Array = new Uint8Array(0);
  let pending: PendingFileOp[] = [];
  for (const op of ops) {
    const size = f.size();
    switch (op.kind) {
      case 'append':
        f.append(op.bytes);
        pending.push({ kind: 'write', position: size, bytes: op.bytes });
        break;
      case 'writeAt': {
        const position = op.slack % (size + 4);
        f.writeAt(op.bytes, position);
        pending.push({ kind: 'write', position, bytes: op.bytes });
        break;
      }
      case 'truncate': {
        const to = op.slack % (size + 4);
        f.truncate(to);
        pending.push({ kind: 'truncate', size: to });
        break;
      }
      case 'sync':
        await f.sync();
        durable = applyOps(durable.slice(), pending);
        pending = [];
        break;
      case 'syncNoWait':
        // In flight at the crash: the model may not count on it.
        void f.sync();
        break;
    }
  }
  return { durable, pending };
}

/** True if `content` is the durable content plus ops [0, k) plus a torn prefix of op k, for some k. */
function isPrefixOutcome(content: Uint8Array, durable: Uint8Array, pending: readonly PendingFileOp[]): boolean {
  const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  let state: Uint8Array = durable.slice();
  for (let k = 0; ; k++) {
    if (same(state, content)) return true;
    const next = pending[k];
    if (next === undefined) return false;
    if (next.kind === 'write') {
      for (let cut = 1; cut < next.bytes.length; cut++) {
        const torn = applyOps(state.slice(), [{ kind: 'write', position: next.position, bytes: next.bytes.subarray(0, cut) }]);
        if (same(torn, content)) return true;
      }
    }
    state = applyOps(state, [next]);
  }
}

describe('MemFileSystem crash model: file data', () => {
  it('after a power loss a file holds its synced bytes plus a prefix of its later writes, torn at any byte', async () => {
    const seed = testSeed('crash model, file data, prefix');
    await fc.assert(
      fc.asyncProperty(fc.array(dataOpArb, { maxLength: 30 }), fc.nat(), async (ops, crashSeed) => {
        const fs = new MemFileSystem();
        const { durable, pending } = await runDataOps(fs, ops);
        const after = readAll(fs.crashClone({ seed: crashSeed }), '/f');
        // Every synced byte that no later op touched is still there.
        const touched = new Set<number>();
        let minTruncate = Infinity;
        for (const op of pending) {
          if (op.kind === 'truncate') minTruncate = Math.min(minTruncate, op.size);
          else for (let i = 0; i < op.bytes.length; i++) touched.add(op.position + i);
        }
        for (let i = 0; i < Math.min(durable.length, minTruncate); i++) {
          if (!touched.has(i)) assert.equal(after[i], durable[i], `synced byte ${i} changed`);
        }
        // And the whole file is exactly one of the states a prefix of the writes could leave.
        assert.ok(isPrefixOutcome(after, durable, pending), 'content is not durable + a (torn) prefix of pending writes');
      }),
      { seed, numRuns: 400 },
    );
  });

  it('with reordered page writes no byte appears that was never written at that offset', async () => {
    const seed = testSeed('crash model, file data, reorder');
    await fc.assert(
      fc.asyncProperty(fc.array(dataOpArb, { maxLength: 30 }), fc.nat(), async (ops, crashSeed) => {
        const fs = new MemFileSystem();
        const { durable, pending } = await runDataOps(fs, ops);
        const after = readAll(fs.crashClone({ seed: crashSeed, unsynced: 'reorder' }), '/f');
        const hasTruncate = pending.some((op) => op.kind === 'truncate');
        if (!hasTruncate) assert.ok(after.length >= durable.length, 'a synced file shrank without a truncate');
        for (let i = 0; i < after.length; i++) {
          const possible = new Set<number>([0]);
          if (i < durable.length) possible.add(durable[i] as number);
          for (const op of pending) {
            if (op.kind === 'write' && i >= op.position && i < op.position + op.bytes.length) {
              possible.add(op.bytes[i - op.position] as number);
            }
          }
          assert.ok(possible.has(after[i] as number), `byte ${i} = ${after[i]} was never written there`);
        }
      }),
      { seed, numRuns: 400 },
    );
  });

  it('a process crash keeps every written byte, synced or not', async () => {
    const fs = new MemFileSystem();
    const f = fs.create('/wal');
    f.append(enc.encode('synced;'));
    await f.sync();
    f.append(enc.encode('unsynced'));
    const after = fs.crashClone({ seed: 1, kind: 'process' });
    assert.equal(dec.decode(readAll(after, '/wal')), 'synced;unsynced');
  });

  it('unsynced: none keeps exactly the synced bytes, and a sync still in flight does not count', async () => {
    const fs = new MemFileSystem();
    const f = fs.create('/wal');
    await fs.syncDir('/');
    f.append(enc.encode('one;'));
    await f.datasync();
    f.append(enc.encode('two;'));
    const inFlight = f.datasync();
    assert.equal(dec.decode(readAll(fs.crashClone({ seed: 7, unsynced: 'none' }), '/wal')), 'one;');
    await inFlight;
    assert.equal(dec.decode(readAll(fs.crashClone({ seed: 7, unsynced: 'none' }), '/wal')), 'one;two;');
  });

  it('a torn tail can be cut at every byte offset', async () => {
    const fs = new MemFileSystem();
    const f = fs.create('/wal');
    await fs.syncDir('/');
    f.append(enc.encode('head'));
    await f.sync();
    f.append(enc.encode('0123456789'));
    const lengths = new Set<number>();
    for (let seed = 0; seed < 2000 && lengths.size < 11; seed++) lengths.add(readAll(fs.crashClone({ seed }), '/wal').length - 4);
    assert.deepEqual([...lengths].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('the same seed gives the same crash, and different seeds differ', async () => {
    const fs = new MemFileSystem();
    const f = fs.create('/x');
    await fs.syncDir('/');
    for (let i = 0; i < 20; i++) f.append(enc.encode(`record-${i};`));
    const a = readAll(fs.crashClone({ seed: 42 }), '/x');
    const b = readAll(fs.crashClone({ seed: 42 }), '/x');
    assert.deepEqual(a, b);
    const sizes = new Set<number>();
    for (let seed = 0; seed < 30; seed++) sizes.add(readAll(fs.crashClone({ seed }), '/x').length);
    assert.ok(sizes.size > 5, `30 seeds gave only ${sizes.size} distinct outcomes`);
  });

  it('the original filesystem is unchanged and usable after a crash clone', async () => {
    const fs = new MemFileSystem();
    const f = fs.create('/x');
    f.append(enc.encode('abc'));
    const clone = fs.crashClone({ seed: 3, unsynced: 'none' });
    assert.equal(clone.exists('/x'), false);
    f.append(enc.encode('d'));
    assert.equal(dec.decode(readAll(fs, '/x')), 'abcd');
    assert.doesNotThrow(() => clone.lock('/LOCK').release(), 'a clone holds no locks');
  });
});

// ---- Names: creates, removes and renames across two directories. ----

type NameOp =
  | { readonly kind: 'create'; readonly dir: number; readonly name: number }
  | { readonly kind: 'remove'; readonly dir: number; readonly name: number }
  | { readonly kind: 'rename'; readonly dir: number; readonly name: number; readonly toDir: number; readonly toName: number }
  | { readonly kind: 'syncDir'; readonly dir: number };

const dirArb = fc.nat({ max: 1 });
const nameArb = fc.nat({ max: 3 });
const nameOpArb: fc.Arbitrary<NameOp> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), dir: dirArb, name: nameArb }),
  fc.record({ kind: fc.constant('remove' as const), dir: dirArb, name: nameArb }),
  fc.record({ kind: fc.constant('rename' as const), dir: dirArb, name: nameArb, toDir: dirArb, toName: nameArb }),
  fc.record({ kind: fc.constant('syncDir' as const), dir: dirArb }),
);

type DirModelOp = { kind: 'set'; name: string; id: string } | { kind: 'delete'; name: string } | { kind: 'move'; from: string; to: string };

interface DirModel {
  durable: Map<string, string>;
  pending: DirModelOp[];
  current: Map<string, string>;
}

function applyModel(base: ReadonlyMap<string, string>, ops: readonly DirModelOp[]): Map<string, string> {
  const out = new Map(base);
  for (const op of ops) {
    if (op.kind === 'set') out.set(op.name, op.id);
    else if (op.kind === 'delete') out.delete(op.name);
    else {
      const id = out.get(op.from);
      if (id !== undefined) {
        out.delete(op.from);
        out.set(op.to, id);
      }
    }
  }
  return out;
}

describe('MemFileSystem crash model: names', () => {
  it('each directory keeps its synced entries plus a prefix of its later changes', async () => {
    const seed = testSeed('crash model, names');
    let vanished = 0;
    let survived = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(nameOpArb, { maxLength: 25 }), fc.nat(), async (ops, crashSeed) => {
        const fs = new MemFileSystem();
        const dirs = ['/d0', '/d1'];
        for (const d of dirs) fs.mkdir(d);
        await fs.syncDir('/');
        const model: DirModel[] = dirs.map(() => ({ durable: new Map(), pending: [], current: new Map() }));
        let nextId = 0;
        for (const op of ops) {
          const m = model[op.dir] as DirModel;
          const dir = dirs[op.dir] as string;
          const name = op.kind === 'syncDir' ? '' : `f${op.name}`;
          switch (op.kind) {
            case 'create': {
              if (m.current.has(name)) break;
              const id = `id${nextId++}`;
              const f = fs.create(`${dir}/${name}`);
              f.append(enc.encode(id));
              await f.sync(); // the data is durable; only the name is in question
              f.close();
              m.current.set(name, id);
              m.pending.push({ kind: 'set', name, id });
              break;
            }
            case 'remove':
              if (!m.current.has(name)) break;
              fs.remove(`${dir}/${name}`);
              m.current.delete(name);
              m.pending.push({ kind: 'delete', name });
              break;
            case 'rename': {
              const id = m.current.get(name);
              const to = model[op.toDir] as DirModel;
              const toName = `f${op.toName}`;
              if (id === undefined) break;
              fs.rename(`${dir}/${name}`, `${dirs[op.toDir] as string}/${toName}`);
              if (op.toDir === op.dir) {
                if (toName === name) break;
                m.current.delete(name);
                m.current.set(toName, id);
                m.pending.push({ kind: 'move', from: name, to: toName });
              } else {
                m.current.delete(name);
                m.pending.push({ kind: 'delete', name });
                to.current.set(toName, id);
                to.pending.push({ kind: 'set', name: toName, id });
              }
              break;
            }
            case 'syncDir':
              await fs.syncDir(dir);
              m.durable = new Map(m.current);
              m.pending = [];
              break;
          }
        }
        const after = fs.crashClone({ seed: crashSeed });
        for (let d = 0; d < dirs.length; d++) {
          const m = model[d] as DirModel;
          const seen = new Map<string, string>();
          for (const name of after.list(dirs[d] as string)) {
            seen.set(name, dec.decode(readAll(after, `${dirs[d] as string}/${name}`)));
          }
          const outcomes = Array.from({ length: m.pending.length + 1 }, (_, k) => applyModel(m.durable, m.pending.slice(0, k)));
          const key = (x: Map<string, string>): string => JSON.stringify([...x].sort());
          assert.ok(
            outcomes.some((o) => key(o) === key(seen)),
            `dir ${dirs[d] as string} holds ${key(seen)}, not the synced entries plus a prefix of later changes`,
          );
        }
        // Entries created or moved in since the last syncDir: each may or may not have stuck.
        for (let d = 0; d < dirs.length; d++) {
          const m = model[d] as DirModel;
          for (const [name, id] of m.current) {
            if (m.durable.get(name) === id) continue;
            const path = `${dirs[d] as string}/${name}`;
            if (after.exists(path) && dec.decode(readAll(after, path)) === id) survived++;
            else vanished++;
          }
        }
      }),
      { seed, numRuns: 400 },
    );
    assert.ok(vanished > 0, 'no unsynced create ever vanished: the crash model keeps too much');
    assert.ok(survived > 0, 'no unsynced create ever survived: the crash model keeps too little');
  });

  it('an unsynced create or rename can vanish, and syncDir makes it stick', async () => {
    const fs = new MemFileSystem();
    fs.mkdir('/db');
    await fs.syncDir('/');
    const cur = fs.create('/db/CURRENT');
    cur.append(enc.encode('MANIFEST-1'));
    await cur.sync();
    cur.close();
    await fs.syncDir('/db');
    const tmp = fs.create('/db/CURRENT.tmp');
    tmp.append(enc.encode('MANIFEST-2'));
    await tmp.sync();
    tmp.close();
    fs.rename('/db/CURRENT.tmp', '/db/CURRENT');

    const outcomes = new Set<string>();
    for (let seed = 0; seed < 64; seed++) {
      const after = fs.crashClone({ seed });
      outcomes.add(`${after.list('/db').join(',')}=${dec.decode(readAll(after, '/db/CURRENT'))}`);
    }
    assert.deepEqual([...outcomes].sort(), [
      'CURRENT,CURRENT.tmp=MANIFEST-1', // the rename was undone
      'CURRENT=MANIFEST-1', // the create was undone too
      'CURRENT=MANIFEST-2', // both stuck
    ]);
    await fs.syncDir('/db');
    for (let seed = 0; seed < 16; seed++) {
      const after = fs.crashClone({ seed });
      assert.deepEqual(after.list('/db'), ['CURRENT']);
      assert.equal(dec.decode(readAll(after, '/db/CURRENT')), 'MANIFEST-2');
    }
  });

  it('a directory whose creation was not synced vanishes with everything in it', async () => {
    const fs = new MemFileSystem();
    fs.mkdir('/db');
    const f = fs.create('/db/data');
    f.append(enc.encode('x'));
    await f.sync();
    await fs.syncDir('/db');
    const after = fs.crashClone({ seed: 0, unsynced: 'none' });
    assert.equal(after.exists('/db'), false);
  });
});
