// A FileSystem wrapper that injects I/O errors (EIO, ENOSPC, ...) by
// operation kind, path pattern, count and probability, drawing from a seeded
// Rng so a failing schedule replays exactly. An injected failure happens
// instead of the operation (a failed sync syncs nothing), except that a rule
// with `partialWrite` first writes a random prefix of the data, as a short
// write on a full disk does. Rules can be added and removed while running.

import { OsError } from '../errors.js';
import type { CreateOptions, File, FileLock, FileStat, FileSystem, OpenOptions } from '../file-system.js';
import { Rng } from '../rng.js';

/** Every operation a fault can be injected into. */
export type FsOp =
  | 'open'
  | 'create'
  | 'read'
  | 'append'
  | 'writeAt'
  | 'truncate'
  | 'size'
  | 'sync'
  | 'datasync'
  | 'stat'
  | 'list'
  | 'mkdir'
  | 'remove'
  | 'rename'
  | 'syncDir'
  | 'lock';

export interface FaultRule {
  /** The operations it applies to; default all. */
  readonly ops?: readonly FsOp[];
  /** The paths it applies to (for rename: either name); default all. */
  readonly path?: RegExp | ((path: string) => boolean);
  /** The errno raised; default "EIO". */
  readonly errno?: string;
  /** Let this many matching calls through first; default 0. */
  readonly after?: number;
  /** Inject at most this many times; default unlimited. */
  readonly times?: number;
  /** Chance that an eligible call fails; default 1. */
  readonly probability?: number;
  /** For append and writeAt: write a random prefix of the data, then fail. */
  readonly partialWrite?: boolean;
}

/** One injected failure, for test logs. */
export interface InjectedFault {
  readonly op: FsOp;
  readonly path: string;
  readonly errno: string;
}

/** A rule once added: how often it has matched and fired, and a way to remove it. */
export interface FaultHandle {
  readonly rule: FaultRule;
  /** Calls that matched the rule's ops and path. */
  readonly matched: number;
  /** Failures it injected. */
  readonly injected: number;
  remove(): void;
}

class ActiveRule implements FaultHandle {
  matched = 0;
  injected = 0;
  constructor(
    readonly rule: FaultRule,
    private readonly owner: FaultFileSystem,
  ) {}
  remove(): void {
    this.owner.removeRule(this);
  }
}

export class FaultFileSystem implements FileSystem {
  readonly inner: FileSystem;
  readonly rng: Rng;
  #rules: ActiveRule[] = [];
  #log: InjectedFault[] = [];

  constructor(inner: FileSystem, options: { readonly seed: number }) {
    this.inner = inner;
    this.rng = new Rng(options.seed);
  }

  /** Adds a rule; it applies from the next operation on. */
  inject(rule: FaultRule): FaultHandle {
    const active = new ActiveRule(rule, this);
    this.#rules.push(active);
    return active;
  }

  /** Removes one rule. */
  removeRule(handle: FaultHandle): void {
    this.#rules = this.#rules.filter((r) => r !== handle);
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** Every failure injected so far, oldest first. */
  get injected(): readonly InjectedFault[] {
    return this.#log;
  }

  /**
   * Decides whether `op` on `paths` fails. Returns the error to raise and
   * whether to write a partial prefix first, or undefined to let it through.
   */
  check(op: FsOp, paths: readonly string[]): { error: OsError; partial: boolean } | undefined {
    for (const rule of this.#rules) {
      const r = rule.rule;
      if (r.ops !== undefined && !r.ops.includes(op)) continue;
      if (r.path !== undefined && !paths.some((p) => matches(r.path as RegExp | ((path: string) => boolean), p))) continue;
      rule.matched++;
      if (rule.matched <= (r.after ?? 0)) continue;
      if (r.times !== undefined && rule.injected >= r.times) continue;
      if (r.probability !== undefined && !this.rng.chance(r.probability)) continue;
      rule.injected++;
      const errno = r.errno ?? 'EIO';
      const path = paths[0] ?? '';
      this.#log.push({ op, path, errno });
      return { error: new OsError(errno, op, path, { injected: true }), partial: r.partialWrite === true };
    }
    return undefined;
  }

  #fail(op: FsOp, ...paths: string[]): void {
    const fault = this.check(op, paths);
    if (fault !== undefined) throw fault.error;
  }

  open(path: string, options?: OpenOptions): File {
    this.#fail('open', path);
    return new FaultFile(this.inner.open(path, options), this);
  }

  create(path: string, options?: CreateOptions): File {
    this.#fail('create', path);
    return new FaultFile(this.inner.create(path, options), this);
  }

  stat(path: string): FileStat {
    this.#fail('stat', path);
    return this.inner.stat(path);
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  list(dir: string): string[] {
    this.#fail('list', dir);
    return this.inner.list(dir);
  }

  mkdir(path: string, options?: { readonly recursive?: boolean }): void {
    this.#fail('mkdir', path);
    this.inner.mkdir(path, options);
  }

  remove(path: string): void {
    this.#fail('remove', path);
    this.inner.remove(path);
  }

  rename(from: string, to: string): void {
    this.#fail('rename', from, to);
    this.inner.rename(from, to);
  }

  async syncDir(dir: string): Promise<void> {
    this.#fail('syncDir', dir);
    await this.inner.syncDir(dir);
  }

  lock(path: string): FileLock {
    this.#fail('lock', path);
    return this.inner.lock(path);
  }
}

function matches(pattern: RegExp | ((path: string) => boolean), path: string): boolean {
  if (typeof pattern === 'function') return pattern(path);
  pattern.lastIndex = 0;
  return pattern.test(path);
}

class FaultFile implements File {
  readonly #inner: File;
  readonly #fs: FaultFileSystem;

  constructor(inner: File, fs: FaultFileSystem) {
    this.#inner = inner;
    this.#fs = fs;
  }

  get path(): string {
    return this.#inner.path;
  }

  get writable(): boolean {
    return this.#inner.writable;
  }

  read(position: number, length: number): Uint8Array {
    this.#fail('read');
    return this.#inner.read(position, length);
  }

  readInto(dst: Uint8Array, position: number): number {
    this.#fail('read');
    return this.#inner.readInto(dst, position);
  }

  append(data: Uint8Array): void {
    const fault = this.#fs.check('append', [this.path]);
    if (fault !== undefined) {
      if (fault.partial && data.length > 0) this.#inner.append(data.subarray(0, this.#fs.rng.int(data.length)));
      throw fault.error;
    }
    this.#inner.append(data);
  }

  writeAt(data: Uint8Array, position: number): void {
    const fault = this.#fs.check('writeAt', [this.path]);
    if (fault !== undefined) {
      if (fault.partial && data.length > 0) {
        this.#inner.writeAt(data.subarray(0, this.#fs.rng.int(data.length)), position);
      }
      throw fault.error;
    }
    this.#inner.writeAt(data, position);
  }

  truncate(size: number): void {
    this.#fail('truncate');
    this.#inner.truncate(size);
  }

  size(): number {
    this.#fail('size');
    return this.#inner.size();
  }

  async sync(): Promise<void> {
    this.#fail('sync');
    await this.#inner.sync();
  }

  async datasync(): Promise<void> {
    this.#fail('datasync');
    await this.#inner.datasync();
  }

  close(): void {
    this.#inner.close();
  }

  #fail(op: FsOp): void {
    const fault = this.#fs.check(op, [this.path]);
    if (fault !== undefined) throw fault.error;
  }
}
