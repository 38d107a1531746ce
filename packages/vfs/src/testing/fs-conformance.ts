// Behaviour every FileSystem must share with NodeFileSystem on Linux. Run
// against the real disk, it pins down what the OS does; run against the
// in-memory and wrapping filesystems, it proves they do the same, so a test
// that passes on MemFileSystem means something on a real disk.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VfsError } from '../errors.js';
import type { FileSystem } from '../file-system.js';

export interface FsUnderTest {
  readonly fs: FileSystem;
  /** An existing, empty directory to work in. */
  readonly root: string;
  cleanup(): void;
}

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

function assertVfsError(fn: () => unknown, code: string, errno?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof VfsError, `expected a VfsError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (errno !== undefined) assert.equal((err as VfsError & { errno?: string }).errno, errno);
    return true;
  });
}

async function assertVfsRejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof VfsError, `expected a VfsError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** Registers the conformance tests for the filesystem `make` returns (a fresh one per test). */
export function describeFileSystem(name: string, make: () => FsUnderTest): void {
  describe(`FileSystem conformance: ${name}`, () => {
    const withFs = (title: string, body: (fs: FileSystem, root: string) => void | Promise<void>): void => {
      it(title, async () => {
        const t = make();
        try {
          await body(t.fs, t.root);
        } finally {
          t.cleanup();
        }
      });
    };

    withFs('appended bytes read back at any position and length', (fs, root) => {
      const f = fs.create(`${root}/a`);
      f.append(bytes('hello '));
      f.append(bytes('world'));
      assert.equal(f.size(), 11);
      assert.deepEqual(f.read(0, 11), bytes('hello world'));
      assert.deepEqual(f.read(6, 5), bytes('world'));
      assert.deepEqual(f.read(6, 100), bytes('world'), 'a read past the end is short');
      assert.equal(f.read(11, 4).length, 0, 'a read at the end is empty');
      assert.equal(f.read(50, 4).length, 0, 'a read beyond the end is empty');
      const dst = new Uint8Array(8).fill(0xee);
      assert.equal(f.readInto(dst, 3), 8);
      assert.deepEqual(dst, bytes('lo world'));
      dst.fill(0xee);
      assert.equal(f.readInto(dst, 9), 2, 'readInto is short at the end of file');
      assert.deepEqual(dst, new Uint8Array([108, 100, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]), 'and leaves the rest of dst alone');
      assert.equal(f.readInto(new Uint8Array(0), 0), 0);
      f.close();
      const r = fs.open(`${root}/a`);
      assert.equal(r.writable, false);
      assert.equal(r.size(), 11);
      assert.deepEqual(r.read(0, 5), bytes('hello'));
      r.close();
    });

    withFs('writeAt overwrites in place and zero-fills a gap past the end', (fs, root) => {
      const f = fs.create(`${root}/p`);
      f.append(bytes('abcdef'));
      f.writeAt(bytes('XY'), 2);
      assert.deepEqual(f.read(0, 6), bytes('abXYef'));
      f.writeAt(bytes('Z'), 9);
      assert.equal(f.size(), 10);
      assert.deepEqual(f.read(0, 10), new Uint8Array([97, 98, 88, 89, 101, 102, 0, 0, 0, 90]));
      f.append(bytes('!'));
      assert.deepEqual(f.read(10, 1), bytes('!'), 'append goes after writeAt extended the file');
      f.close();
    });

    withFs('truncate shrinks and zero-extends', (fs, root) => {
      const f = fs.create(`${root}/t`);
      f.append(bytes('abcdef'));
      f.truncate(3);
      assert.equal(f.size(), 3);
      assert.deepEqual(f.read(0, 10), bytes('abc'));
      f.truncate(5);
      assert.deepEqual(f.read(0, 10), new Uint8Array([97, 98, 99, 0, 0]));
      f.append(bytes('g'));
      assert.deepEqual(f.read(5, 1), bytes('g'), 'append continues at the new end');
      f.close();
    });

    withFs('create truncates an existing file unless exclusive', (fs, root) => {
      const f = fs.create(`${root}/c`);
      f.append(bytes('old'));
      f.close();
      assertVfsError(() => fs.create(`${root}/c`, { exclusive: true }), 'AlreadyExists');
      const g = fs.create(`${root}/c`);
      assert.equal(g.size(), 0);
      g.close();
      assert.equal(fs.stat(`${root}/c`).size, 0);
    });

    withFs('a file opened writable appends at its current end', (fs, root) => {
      const f = fs.create(`${root}/w`);
      f.append(bytes('12'));
      f.close();
      const g = fs.open(`${root}/w`, { writable: true });
      assert.equal(g.writable, true);
      g.append(bytes('34'));
      g.close();
      const r = fs.open(`${root}/w`);
      assert.deepEqual(r.read(0, 10), bytes('1234'));
      r.close();
    });

    withFs('missing files raise NotFound', async (fs, root) => {
      assertVfsError(() => fs.open(`${root}/nope`), 'NotFound');
      assertVfsError(() => fs.stat(`${root}/nope`), 'NotFound');
      assertVfsError(() => fs.list(`${root}/nope`), 'NotFound');
      assertVfsError(() => fs.remove(`${root}/nope`), 'NotFound');
      assertVfsError(() => fs.rename(`${root}/nope`, `${root}/x`), 'NotFound');
      assertVfsError(() => fs.create(`${root}/nodir/f`), 'NotFound');
      assertVfsError(() => fs.mkdir(`${root}/nodir/d`), 'NotFound');
      await assertVfsRejects(Promise.resolve().then(() => fs.syncDir(`${root}/nope`)), 'NotFound');
      assert.equal(fs.exists(`${root}/nope`), false);
    });

    withFs('a read-only handle refuses writes with EBADF', (fs, root) => {
      fs.create(`${root}/ro`).close();
      const r = fs.open(`${root}/ro`);
      assertVfsError(() => r.append(bytes('x')), 'OsError', 'EBADF');
      assertVfsError(() => r.writeAt(bytes('x'), 0), 'OsError', 'EBADF');
      assertVfsError(() => r.truncate(0), 'OsError', 'EBADF');
      r.close();
    });

    withFs('a closed handle raises HandleClosed, and close is idempotent', async (fs, root) => {
      const f = fs.create(`${root}/h`);
      f.close();
      f.close();
      assertVfsError(() => f.read(0, 1), 'HandleClosed');
      assertVfsError(() => f.append(bytes('x')), 'HandleClosed');
      assertVfsError(() => f.size(), 'HandleClosed');
      await assertVfsRejects(Promise.resolve().then(() => f.sync()), 'HandleClosed');
    });

    withFs('negative or fractional offsets raise EINVAL', (fs, root) => {
      const f = fs.create(`${root}/e`);
      assertVfsError(() => f.read(-1, 1), 'OsError', 'EINVAL');
      assertVfsError(() => f.read(0.5, 1), 'OsError', 'EINVAL');
      assertVfsError(() => f.readInto(new Uint8Array(1), -1), 'OsError', 'EINVAL');
      assertVfsError(() => f.writeAt(bytes('x'), -2), 'OsError', 'EINVAL');
      assertVfsError(() => f.truncate(-1), 'OsError', 'EINVAL');
      f.close();
    });

    withFs('directories: mkdir, list sorted, stat, remove', (fs, root) => {
      fs.mkdir(`${root}/d`);
      assertVfsError(() => fs.mkdir(`${root}/d`), 'AlreadyExists');
      fs.mkdir(`${root}/d`, { recursive: true });
      fs.mkdir(`${root}/d/x/y/z`, { recursive: true });
      for (const n of ['b', 'a', 'C', '0']) fs.create(`${root}/d/${n}`).close();
      assert.deepEqual(fs.list(`${root}/d`), ['0', 'C', 'a', 'b', 'x']);
      assert.deepEqual(fs.stat(`${root}/d`), { kind: 'dir', size: 0 });
      assert.deepEqual(fs.stat(`${root}/d/a`), { kind: 'file', size: 0 });
      assertVfsError(() => fs.remove(`${root}/d/x`), 'OsError', 'ENOTEMPTY');
      fs.remove(`${root}/d/x/y/z`);
      fs.remove(`${root}/d/x/y`);
      fs.remove(`${root}/d/x`);
      fs.remove(`${root}/d/a`);
      assert.deepEqual(fs.list(`${root}/d`), ['0', 'C', 'b']);
      assert.equal(fs.exists(`${root}/d/b`), true);
    });

    withFs('files and directories are not confused', (fs, root) => {
      fs.mkdir(`${root}/dir`);
      fs.create(`${root}/file`).close();
      assertVfsError(() => fs.open(`${root}/dir`), 'OsError', 'EISDIR');
      assertVfsError(() => fs.create(`${root}/dir`), 'OsError', 'EISDIR');
      assertVfsError(() => fs.list(`${root}/file`), 'OsError', 'ENOTDIR');
      assertVfsError(() => fs.create(`${root}/file/x`), 'OsError', 'ENOTDIR');
      assertVfsError(() => fs.rename(`${root}/file`, `${root}/dir`), 'OsError', 'EISDIR');
    });

    withFs('rename moves a file and atomically replaces the target', (fs, root) => {
      const a = fs.create(`${root}/a`);
      a.append(bytes('new'));
      a.close();
      const b = fs.create(`${root}/b`);
      b.append(bytes('old!'));
      b.close();
      fs.rename(`${root}/a`, `${root}/b`);
      assert.equal(fs.exists(`${root}/a`), false);
      const r = fs.open(`${root}/b`);
      assert.deepEqual(r.read(0, 10), bytes('new'));
      r.close();
      fs.mkdir(`${root}/sub`);
      fs.rename(`${root}/b`, `${root}/sub/c`);
      assert.deepEqual(fs.list(`${root}/sub`), ['c']);
      fs.rename(`${root}/sub/c`, `${root}/sub/c`);
      assert.deepEqual(fs.list(`${root}/sub`), ['c'], 'renaming onto itself changes nothing');
    });

    withFs('an open handle keeps working after its file is removed or renamed', (fs, root) => {
      const f = fs.create(`${root}/r`);
      f.append(bytes('abc'));
      fs.rename(`${root}/r`, `${root}/s`);
      f.append(bytes('d'));
      const r = fs.open(`${root}/s`);
      assert.deepEqual(r.read(0, 10), bytes('abcd'));
      fs.remove(`${root}/s`);
      assert.deepEqual(r.read(0, 10), bytes('abcd'));
      r.close();
      f.close();
    });

    withFs('sync, datasync and syncDir resolve', async (fs, root) => {
      const f = fs.create(`${root}/s`);
      f.append(bytes('x'));
      await f.sync();
      f.append(bytes('y'));
      await f.datasync();
      await Promise.all([f.datasync(), f.datasync()]);
      await fs.syncDir(root);
      f.close();
    });

    withFs('a lock is exclusive until released', (fs, root) => {
      const l = fs.lock(`${root}/LOCK`);
      assertVfsError(() => fs.lock(`${root}/LOCK`), 'LockHeld');
      l.release();
      l.release();
      const again = fs.lock(`${root}/LOCK`);
      again.release();
    });
  });
}
