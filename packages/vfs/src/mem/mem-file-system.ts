// An in-memory filesystem with a power-loss model. It behaves like the
// POSIX subset NodeFileSystem exposes (the shared conformance suite in
// ../testing checks both), and crashClone() returns what a disk would hold
// after the machine lost power (or the process died) at this instant:
//   - synced bytes and synced directory entries always survive;
//   - of each file's unsynced writes a random prefix survives, the last one
//     torn at any byte (or, with unsynced: 'reorder', a random subset);
//   - of each directory's unsynced creates, renames and removes a random
//     prefix survives, so any of them may be undone;
//   - the choices come from a seeded Rng, so a crash replays exactly.
// A sync covers what was written before it was called and takes effect when
// its promise settles (after a macrotask), so a crash while it is in flight
// may still lose that data, as on a real disk.

import { AlreadyExists, HandleClosed, LockHeld, NotFound, OsError } from '../errors.js';
import type { CreateOptions, File, FileLock, FileStat, FileSystem, OpenOptions } from '../file-system.js';
import { Rng } from '../rng.js';
import { DirNode, type Node, type UnsyncedDirPolicy } from './dir-node.js';
import { FileNode, type UnsyncedDataPolicy } from './file-node.js';
import { components, normalize } from './paths.js';

export interface CrashOptions {
  /** Seeds every random choice: the same history and seed give the same result. */
  readonly seed: number;
  /**
   * 'power' (the default): the machine lost power; only synced state is safe.
   * 'process': only the process died; the OS keeps every byte and name it was given.
   */
  readonly kind?: 'power' | 'process';
  /**
   * For a power loss, what survives of unsynced file data:
   * 'prefix' (default): a random prefix of each file's unsynced writes, the last one torn at any byte;
   * 'reorder': a random subset of them, some torn, as when the device reorders page writes;
   * 'none': nothing unsynced survives, and no unsynced directory change either.
   */
  readonly unsynced?: 'prefix' | 'reorder' | 'none';
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function checkOffset(value: number, op: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new OsError('EINVAL', op, path);
}

export class MemFileSystem implements FileSystem {
  #root: DirNode;
  #locks = new Set<string>();

  constructor(root?: DirNode) {
    this.#root = root ?? new DirNode();
  }

  open(path: string, options?: OpenOptions): File {
    const node = this.#lookup(path, 'open');
    if (node === undefined) throw new NotFound(path);
    if (node.kind === 'dir') throw new OsError('EISDIR', 'open', path);
    return new MemFile(path, node, options?.writable === true);
  }

  create(path: string, options?: CreateOptions): File {
    const { dir, name } = this.#parent(path, 'create');
    const existing = dir.entries.get(name);
    if (existing !== undefined) {
      if (existing.kind === 'dir') throw new OsError('EISDIR', 'create', path);
      if (options?.exclusive === true) throw new AlreadyExists(path);
      if (existing.size > 0) existing.truncate(0);
      return new MemFile(path, existing, true);
    }
    const node = new FileNode();
    dir.link(name, node);
    return new MemFile(path, node, true);
  }

  stat(path: string): FileStat {
    const node = this.#lookup(path, 'stat');
    if (node === undefined) throw new NotFound(path);
    return node.kind === 'dir' ? { kind: 'dir', size: 0 } : { kind: 'file', size: node.size };
  }

  exists(path: string): boolean {
    try {
      return this.#lookup(path, 'stat') !== undefined;
    } catch {
      return false;
    }
  }

  list(dir: string): string[] {
    const node = this.#lookup(dir, 'list');
    if (node === undefined) throw new NotFound(dir);
    if (node.kind !== 'dir') throw new OsError('ENOTDIR', 'list', dir);
    return [...node.entries.keys()].sort();
  }

  mkdir(path: string, options?: { readonly recursive?: boolean }): void {
    if (options?.recursive === true) {
      let dir = this.#root;
      for (const name of components(path)) {
        const next = dir.entries.get(name);
        if (next === undefined) {
          const created = new DirNode();
          dir.link(name, created);
          dir = created;
        } else if (next.kind === 'dir') {
          dir = next;
        } else {
          throw new OsError('ENOTDIR', 'mkdir', path);
        }
      }
      return;
    }
    const { dir, name } = this.#parent(path, 'mkdir');
    if (dir.entries.has(name)) throw new AlreadyExists(path);
    dir.link(name, new DirNode());
  }

  remove(path: string): void {
    const { dir, name } = this.#parent(path, 'remove');
    const node = dir.entries.get(name);
    if (node === undefined) throw new NotFound(path);
    if (node.kind === 'dir' && node.entries.size > 0) throw new OsError('ENOTEMPTY', 'remove', path);
    dir.unlink(name);
  }

  rename(from: string, to: string): void {
    const src = this.#parent(from, 'rename');
    const node = src.dir.entries.get(src.name);
    if (node === undefined) throw new NotFound(from);
    const dst = this.#parent(to, 'rename');
    if (src.dir === dst.dir && src.name === dst.name) return;
    const target = dst.dir.entries.get(dst.name);
    if (node.kind === 'file') {
      if (target?.kind === 'dir') throw new OsError('EISDIR', 'rename', to);
    } else {
      if (target?.kind === 'file') throw new OsError('ENOTDIR', 'rename', to);
      if (target?.kind === 'dir' && target.entries.size > 0) throw new OsError('ENOTEMPTY', 'rename', to);
      if (this.#isWithin(dst.dir, node)) throw new OsError('EINVAL', 'rename', to);
    }
    if (src.dir === dst.dir) {
      src.dir.renameWithin(src.name, dst.name);
    } else {
      src.dir.unlink(src.name);
      dst.dir.link(dst.name, node);
    }
  }

  async syncDir(dir: string): Promise<void> {
    const node = this.#lookup(dir, 'syncDir');
    if (node === undefined) throw new NotFound(dir);
    if (node.kind !== 'dir') throw new OsError('ENOTDIR', 'syncDir', dir);
    const count = node.pendingCount;
    await macrotask();
    node.syncThrough(count);
  }

  lock(path: string): FileLock {
    const key = normalize(path);
    if (this.#locks.has(key)) throw new LockHeld(path, 'this process');
    const { dir, name } = this.#parent(path, 'lock');
    const existing = dir.entries.get(name);
    if (existing?.kind === 'dir') throw new OsError('EISDIR', 'lock', path);
    if (existing === undefined) dir.link(name, new FileNode());
    this.#locks.add(key);
    let held = true;
    return {
      path,
      release: () => {
        if (!held) return;
        held = false;
        this.#locks.delete(key);
      },
    };
  }

  /**
   * What the disk would hold if the machine lost power (or the process died)
   * right now, as a new, independent filesystem with no open handles or locks.
   * This filesystem is unchanged and can go on being used.
   */
  crashClone(options: CrashOptions): MemFileSystem {
    const rng = new Rng(options.seed);
    let dataPolicy: UnsyncedDataPolicy;
    let dirPolicy: UnsyncedDirPolicy;
    if (options.kind === 'process') {
      dataPolicy = 'all';
      dirPolicy = 'all';
    } else {
      dataPolicy = options.unsynced ?? 'prefix';
      dirPolicy = dataPolicy === 'none' ? 'none' : 'prefix';
    }
    const copies = new Map<Node, Node>();
    const copy = (node: Node): Node => {
      const done = copies.get(node);
      if (done !== undefined) return done;
      let out: Node;
      if (node.kind === 'file') {
        out = new FileNode(node.afterCrash(dataPolicy, rng));
        copies.set(node, out);
      } else {
        const dir = new DirNode();
        copies.set(node, dir);
        for (const [name, child] of node.entriesAfterCrash(dirPolicy, rng)) dir.entries.set(name, copy(child));
        dir.syncThrough(Number.MAX_SAFE_INTEGER);
        out = dir;
      }
      return out;
    };
    return new MemFileSystem(copy(this.#root) as DirNode);
  }

  #lookup(path: string, op: string): Node | undefined {
    let node: Node = this.#root;
    for (const name of components(path)) {
      if (node.kind !== 'dir') throw new OsError('ENOTDIR', op, path);
      const next = node.entries.get(name);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  #parent(path: string, op: string): { dir: DirNode; name: string } {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined) throw new OsError('EISDIR', op, path);
    let dir: Node = this.#root;
    for (const part of parts) {
      const next: Node | undefined = dir.entries.get(part);
      if (next === undefined) throw new NotFound(path);
      if (next.kind !== 'dir') throw new OsError('ENOTDIR', op, path);
      dir = next;
    }
    return { dir, name };
  }

  #isWithin(dir: DirNode, ancestor: DirNode): boolean {
    if (dir === ancestor) return true;
    for (const child of ancestor.entries.values()) {
      if (child.kind === 'dir' && this.#isWithin(dir, child)) return true;
    }
    return false;
  }
}

class MemFile implements File {
  readonly path: string;
  readonly writable: boolean;
  #node: FileNode;
  #closed = false;

  constructor(path: string, node: FileNode, writable: boolean) {
    this.path = path;
    this.#node = node;
    this.writable = writable;
  }

  read(position: number, length: number): Uint8Array {
    this.#check();
    checkOffset(position, 'read', this.path);
    checkOffset(length, 'read', this.path);
    return this.#node.read(position, length);
  }

  readInto(dst: Uint8Array, position: number): number {
    this.#check();
    checkOffset(position, 'read', this.path);
    const bytes = this.#node.read(position, dst.length);
    dst.set(bytes);
    return bytes.length;
  }

  append(data: Uint8Array): void {
    this.#checkWritable('append');
    this.#node.write(data, this.#node.size);
  }

  writeAt(data: Uint8Array, position: number): void {
    this.#checkWritable('writeAt');
    checkOffset(position, 'writeAt', this.path);
    this.#node.write(data, position);
  }

  truncate(size: number): void {
    this.#checkWritable('truncate');
    checkOffset(size, 'truncate', this.path);
    this.#node.truncate(size);
  }

  size(): number {
    this.#check();
    return this.#node.size;
  }

  async sync(): Promise<void> {
    this.#check();
    const count = this.#node.pendingCount;
    await macrotask();
    this.#node.syncThrough(count);
  }

  datasync(): Promise<void> {
    return this.sync();
  }

  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw new HandleClosed(this.path);
  }

  #checkWritable(op: string): void {
    this.#check();
    if (!this.writable) throw new OsError('EBADF', op, this.path);
  }
}
