// A File over a node:fs descriptor. Reads, writes and truncates use the
// synchronous calls (they only touch the page cache; see docs/vfs.md);
// sync and datasync use the callback API, so the event loop runs while the
// device flushes. A writable handle tracks the size itself, which is why a
// file may have only one writable handle at a time. close() while a sync is
// in flight defers the real close until the sync settles, so the descriptor
// number is never reused under a pending fsync.

import { closeSync, fdatasync, fstatSync, fsync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { HandleClosed, OsError } from '../errors.js';
import type { File } from '../file-system.js';
import { fromNodeError } from './errno.js';

function checkOffset(value: number, op: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new OsError('EINVAL', op, path);
}

export class NodeFile implements File {
  readonly path: string;
  readonly writable: boolean;
  #fd: number;
  #closed = false;
  #inflight = 0;
  /** Tracked size of a writable handle; unused for a read-only one. */
  #size: number;

  constructor(path: string, fd: number, writable: boolean) {
    this.path = path;
    this.#fd = fd;
    this.writable = writable;
    this.#size = writable ? fstatSync(fd).size : 0;
  }

  read(position: number, length: number): Uint8Array {
    checkOffset(length, 'read', this.path);
    const buf = new Uint8Array(length);
    const n = this.readInto(buf, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  readInto(dst: Uint8Array, position: number): number {
    this.#check();
    checkOffset(position, 'read', this.path);
    let done = 0;
    try {
      while (done < dst.length) {
        const n = readSync(this.#fd, dst, done, dst.length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw fromNodeError(err, 'read', this.path);
    }
    return done;
  }

  append(data: Uint8Array): void {
    this.#checkWritable('append');
    this.#writeFully(data, this.#size, 'append');
  }

  writeAt(data: Uint8Array, position: number): void {
    this.#checkWritable('writeAt');
    checkOffset(position, 'writeAt', this.path);
    this.#writeFully(data, position, 'writeAt');
  }

  truncate(size: number): void {
    this.#checkWritable('truncate');
    checkOffset(size, 'truncate', this.path);
    try {
      ftruncateSync(this.#fd, size);
    } catch (err) {
      throw fromNodeError(err, 'truncate', this.path);
    }
    this.#size = size;
  }

  size(): number {
    this.#check();
    if (this.writable) return this.#size;
    try {
      return fstatSync(this.#fd).size;
    } catch (err) {
      throw fromNodeError(err, 'size', this.path);
    }
  }

  sync(): Promise<void> {
    return this.#flush('sync', fsync);
  }

  datasync(): Promise<void> {
    return this.#flush('datasync', fdatasync);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inflight === 0) this.#release();
  }

  #writeFully(data: Uint8Array, position: number, op: string): void {
    let done = 0;
    try {
      while (done < data.length) {
        done += writeSync(this.#fd, data, done, data.length - done, position + done);
      }
    } catch (err) {
      // A short write may have extended the file before failing.
      this.#size = Math.max(this.#size, position + done);
      throw fromNodeError(err, op, this.path);
    }
    this.#size = Math.max(this.#size, position + data.length);
  }

  #flush(op: string, fn: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
    this.#check();
    this.#inflight++;
    return new Promise((resolve, reject) => {
      fn(this.#fd, (err) => {
        this.#inflight--;
        if (this.#closed && this.#inflight === 0) this.#release();
        if (err === null) resolve();
        else reject(fromNodeError(err, op, this.path));
      });
    });
  }

  #release(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // The descriptor is gone either way; close errors carry no durability meaning here.
    }
  }

  #check(): void {
    if (this.#closed) throw new HandleClosed(this.path);
  }

  #checkWritable(op: string): void {
    this.#check();
    if (!this.writable) throw new OsError('EBADF', op, this.path);
  }
}
