// The FileSystem over node:fs. Metadata calls are synchronous (they complete
// in the page cache and journal); syncDir opens the directory and fsyncs it
// through the callback API so the event loop is free during the flush.

import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { OsError } from '../errors.js';
import type { CreateOptions, File, FileLock, FileStat, FileSystem, OpenOptions } from '../file-system.js';
import { call, fromNodeError } from './errno.js';
import { NodeFile } from './node-file.js';
import { lockFile } from './pid-lock.js';

export class NodeFileSystem implements FileSystem {
  open(path: string, options?: OpenOptions): File {
    const writable = options?.writable === true;
    const fd = call('open', path, () => openSync(path, writable ? constants.O_RDWR : constants.O_RDONLY));
    return this.#wrap(path, fd, writable, 'open');
  }

  create(path: string, options?: CreateOptions): File {
    let flags = constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC;
    if (options?.exclusive === true) flags |= constants.O_EXCL;
    const fd = call('create', path, () => openSync(path, flags, 0o644));
    return this.#wrap(path, fd, true, 'create');
  }

  stat(path: string): FileStat {
    const st = call('stat', path, () => statSync(path));
    return st.isDirectory() ? { kind: 'dir', size: 0 } : { kind: 'file', size: st.size };
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  list(dir: string): string[] {
    return call('list', dir, () => readdirSync(dir)).sort();
  }

  mkdir(path: string, options?: { readonly recursive?: boolean }): void {
    call('mkdir', path, () => mkdirSync(path, { recursive: options?.recursive === true }));
  }

  remove(path: string): void {
    call('remove', path, () => {
      if (lstatSync(path).isDirectory()) rmdirSync(path);
      else unlinkSync(path);
    });
  }

  rename(from: string, to: string): void {
    call('rename', from, () => renameSync(from, to));
  }

  syncDir(dir: string): Promise<void> {
    const fd = call('syncDir', dir, () => openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY));
    return new Promise((resolve, reject) => {
      fsync(fd, (err) => {
        try {
          closeSync(fd);
        } catch {
          // The fsync result is what matters.
        }
        if (err === null) resolve();
        else reject(fromNodeError(err, 'syncDir', dir));
      });
    });
  }

  lock(path: string): FileLock {
    return lockFile(path);
  }

  #wrap(path: string, fd: number, writable: boolean, op: string): File {
    try {
      if (fstatSync(fd).isDirectory()) throw new OsError('EISDIR', op, path);
      return new NodeFile(path, fd, writable);
    } catch (err) {
      closeSync(fd);
      throw err instanceof OsError ? err : fromNodeError(err, op, path);
    }
  }
}
