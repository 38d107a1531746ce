// A FileSystem wrapper that counts every byte and operation per file
// category into an IoStats. It adds no behaviour: failures propagate
// unchanged and are not counted. syncBytes counts the bytes written through
// a handle since its previous successful sync, which is the data that sync
// made durable. Directory syncs are counted under the category "dir".

import type { CreateOptions, File, FileLock, FileStat, FileSystem, OpenOptions } from '../file-system.js';
import { defaultClassifier, type Classifier } from './classify.js';
import { IoStats, type IoCategory } from './io-stats.js';

export interface AccountingOptions {
  /** Maps a path to its category; default defaultClassifier. */
  readonly classify?: Classifier;
  /** Where to count; default a new IoStats (several filesystems may share one). */
  readonly stats?: IoStats;
}

export class AccountingFileSystem implements FileSystem {
  readonly inner: FileSystem;
  readonly stats: IoStats;
  readonly #classify: Classifier;

  constructor(inner: FileSystem, options?: AccountingOptions) {
    this.inner = inner;
    this.stats = options?.stats ?? new IoStats();
    this.#classify = options?.classify ?? defaultClassifier;
  }

  open(path: string, options?: OpenOptions): File {
    const file = this.inner.open(path, options);
    const category = this.#classify(path);
    this.stats.add(category, 'openOps', 1);
    return new AccountingFile(file, category, this.stats);
  }

  create(path: string, options?: CreateOptions): File {
    const file = this.inner.create(path, options);
    const category = this.#classify(path);
    this.stats.add(category, 'createOps', 1);
    return new AccountingFile(file, category, this.stats);
  }

  stat(path: string): FileStat {
    return this.inner.stat(path);
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  list(dir: string): string[] {
    return this.inner.list(dir);
  }

  mkdir(path: string, options?: { readonly recursive?: boolean }): void {
    this.inner.mkdir(path, options);
  }

  remove(path: string): void {
    this.inner.remove(path);
    this.stats.add(this.#classify(path), 'removeOps', 1);
  }

  rename(from: string, to: string): void {
    this.inner.rename(from, to);
    this.stats.add(this.#classify(to), 'renameOps', 1);
  }

  async syncDir(dir: string): Promise<void> {
    await this.inner.syncDir(dir);
    this.stats.add('dir', 'syncOps', 1);
  }

  lock(path: string): FileLock {
    return this.inner.lock(path);
  }
}

class AccountingFile implements File {
  readonly #inner: File;
  readonly #category: IoCategory;
  readonly #stats: IoStats;
  #dirty = 0;

  constructor(inner: File, category: IoCategory, stats: IoStats) {
    this.#inner = inner;
    this.#category = category;
    this.#stats = stats;
  }

  get path(): string {
    return this.#inner.path;
  }

  get writable(): boolean {
    return this.#inner.writable;
  }

  read(position: number, length: number): Uint8Array {
    const out = this.#inner.read(position, length);
    this.#stats.add(this.#category, 'readOps', 1);
    this.#stats.add(this.#category, 'readBytes', out.length);
    return out;
  }

  readInto(dst: Uint8Array, position: number): number {
    const n = this.#inner.readInto(dst, position);
    this.#stats.add(this.#category, 'readOps', 1);
    this.#stats.add(this.#category, 'readBytes', n);
    return n;
  }

  append(data: Uint8Array): void {
    this.#inner.append(data);
    this.#wrote(data.length);
  }

  writeAt(data: Uint8Array, position: number): void {
    this.#inner.writeAt(data, position);
    this.#wrote(data.length);
  }

  truncate(size: number): void {
    this.#inner.truncate(size);
  }

  size(): number {
    return this.#inner.size();
  }

  sync(): Promise<void> {
    return this.#flush(() => this.#inner.sync());
  }

  datasync(): Promise<void> {
    return this.#flush(() => this.#inner.datasync());
  }

  close(): void {
    this.#inner.close();
  }

  #wrote(n: number): void {
    this.#dirty += n;
    this.#stats.add(this.#category, 'writeOps', 1);
    this.#stats.add(this.#category, 'writeBytes', n);
  }

  /** Counts a successful flush and the bytes it made durable; a failed one leaves them dirty. */
  async #flush(flush: () => Promise<void>): Promise<void> {
    const dirty = this.#dirty;
    this.#dirty = 0;
    try {
      await flush();
    } catch (err) {
      this.#dirty += dirty;
      throw err;
    }
    this.#stats.add(this.#category, 'syncOps', 1);
    this.#stats.add(this.#category, 'syncBytes', dirty);
  }
}
