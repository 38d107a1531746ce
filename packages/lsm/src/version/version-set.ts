// The VersionSet owns the tree's metadata: the current Version, the live
// (pinned) versions, the file-number counter, the WAL horizon and the
// table ids, and persists every change to the MANIFEST before installing it
// (docs/format/manifest.md). CURRENT names the live manifest; it is switched
// by writing CURRENT.tmp, syncing it, renaming it over CURRENT and syncing
// the directory, so a crash leaves either the old or the new manifest live.
//
// Concurrency: logAndApply calls are serialized through an internal chain;
// each resolves only after its record is synced and the version installed.

import type { Checksum } from '@strata/engine';
import { Corruption, DecodeError, encodeFrame, io, ioAsync, IoError, readWholeFile, scanFrames } from '@strata/engine';
import type { File, FileSystem } from '@strata/vfs';
import { posix } from 'node:path';
import { checkLevels, sortLevel, Version } from './version.js';
import { decodeEdit, EditDecodeError, encodeEdit, type VersionEdit } from './version-edit.js';
import { CURRENT, CURRENT_TMP, manifestName, parseName, type FileNum } from './filenames.js';
import type { FileMeta } from './file-meta.js';

export interface VersionSetOptions {
  readonly numLevels: number;
  /** Start a fresh manifest once the live one exceeds this many bytes. */
  readonly manifestMaxBytes: number;
}

/** Applies `edit` to `base`; throws Error if it is inconsistent (deletes a file that is not there, adds a duplicate). */
export function applyEdit(base: Version, edit: VersionEdit): Version {
  const levels = base.levels.map((l) => [...l]);
  for (const d of edit.deleted ?? []) {
    const files = levels[d.level];
    const i = files?.findIndex((f) => f.fileNum === d.fileNum) ?? -1;
    if (files === undefined || i < 0) throw new Error(`edit deletes file ${d.fileNum} that is not in level ${d.level}`);
    files.splice(i, 1);
  }
  for (const a of edit.added ?? []) {
    const files = levels[a.level];
    if (files === undefined) throw new Error(`edit adds file ${a.meta.fileNum} to level ${a.level}, beyond the ${levels.length} levels`);
    if (files.some((f) => f.fileNum === a.meta.fileNum)) throw new Error(`edit adds file ${a.meta.fileNum} twice`);
    files.push(a.meta);
  }
  const sorted = levels.map((files, level) => sortLevel(level, files));
  const bad = checkLevels(sorted);
  if (bad !== undefined) throw new Error(`edit breaks the level invariant: ${bad}`);
  return new Version(sorted);
}

export class VersionSet {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #checksum: Checksum;
  readonly #options: VersionSetOptions;
  #current: Version;
  /** Versions with refs > 0 (current included). */
  readonly #live = new Set<Version>();
  #nextFileNumber: number;
  #logNumber: number;
  /** Largest seq recorded in the manifest. */
  #lastSeq: number;
  #syncedLog: number;
  readonly #tables: Map<string, number>;
  #manifest: File | undefined;
  #manifestNumber = 0;
  #chain: Promise<void> = Promise.resolve();
  /** The failure after which no manifest write is attempted. */
  #broken: unknown = undefined;

  #throwIfBroken(): void {
    if (this.#broken === undefined) return;
    throw this.#broken instanceof Error ? this.#broken : new IoError('the manifest failed earlier', this.#broken);
  }
  /** Called when a version is released and files may have become obsolete. */
  onObsolete: () => void = () => undefined;

  private constructor(
    fs: FileSystem,
    dir: string,
    checksum: Checksum,
    options: VersionSetOptions,
    current: Version,
    state: { nextFileNumber: number; logNumber: number; lastSeq: number; syncedLog: number; tables: Map<string, number> },
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#checksum = checksum;
    this.#options = options;
    this.#current = current;
    this.#nextFileNumber = state.nextFileNumber;
    this.#logNumber = state.logNumber;
    this.#lastSeq = state.lastSeq;
    this.#syncedLog = state.syncedLog;
    this.#tables = state.tables;
    this.ref(current);
  }

  /**
   * Loads the state named by CURRENT. A directory without CURRENT is a new
   * database (an error if it already holds WALs or SSTables). Does not open
   * a manifest for writing: call writeSnapshot() once recovery is done.
   */
  static recover(fs: FileSystem, dir: string, checksum: Checksum, options: VersionSetOptions): VersionSet {
    const names = io(`listing ${dir}`, () => fs.list(dir));
    const state = { nextFileNumber: 1, logNumber: 0, lastSeq: 0, syncedLog: 0, tables: new Map<string, number>() };
    if (!names.includes(CURRENT)) {
      const data = names.map(parseName).filter((p) => p.type === 'wal' || p.type === 'sst');
      if (data.length > 0) throw new Corruption(posix.join(dir, CURRENT), 0, 'CURRENT is missing but the directory holds WAL or SSTable files');
      return new VersionSet(fs, dir, checksum, options, Version.empty(options.numLevels), state);
    }
    const currentPath = posix.join(dir, CURRENT);
    const text = new TextDecoder().decode(readWholeFile(fs, currentPath));
    const m = /^(MANIFEST-\d{6,})\n$/.exec(text);
    if (m === null) throw new Corruption(currentPath, 0, `CURRENT does not name a manifest: ${JSON.stringify(text.slice(0, 40))}`);
    const manifestPath = posix.join(dir, m[1] as string);
    if (!fs.exists(manifestPath)) throw new Corruption(currentPath, 0, `CURRENT names ${m[1]}, which does not exist`);
    const bytes = readWholeFile(fs, manifestPath);
    const scan = scanFrames(bytes, checksum);
    if (scan.tail.kind === 'corrupt') throw new Corruption(manifestPath, scan.tail.offset, scan.tail.reason);
    // A torn tail is an edit whose sync never completed: nothing acted on it.
    let version = Version.empty(options.numLevels);
    let first = true;
    for (const frame of scan.frames) {
      let edit: VersionEdit;
      try {
        edit = decodeEdit(frame.payload);
      } catch (err) {
        if (err instanceof DecodeError || err instanceof EditDecodeError) {
          throw new Corruption(manifestPath, frame.offset, `bad version edit: ${err.message}`);
        }
        throw err;
      }
      if (first && (edit.nextFileNumber === undefined || edit.logNumber === undefined || edit.lastSeq === undefined)) {
        throw new Corruption(manifestPath, frame.offset, 'the first manifest record is not a snapshot');
      }
      first = false;
      for (const a of edit.added ?? []) {
        if (a.level >= options.numLevels) {
          throw new Corruption(manifestPath, frame.offset, `file ${a.meta.fileNum} is at level ${a.level}, but the database is opened with ${options.numLevels} levels`);
        }
      }
      try {
        version = applyEdit(version, edit);
      } catch (err) {
        throw new Corruption(manifestPath, frame.offset, err instanceof Error ? err.message : String(err));
      }
      if (edit.nextFileNumber !== undefined) state.nextFileNumber = edit.nextFileNumber;
      if (edit.logNumber !== undefined) state.logNumber = edit.logNumber;
      if (edit.lastSeq !== undefined) state.lastSeq = edit.lastSeq;
      if (edit.syncedLog !== undefined) state.syncedLog = Math.max(state.syncedLog, edit.syncedLog);
      for (const t of edit.tables ?? []) state.tables.set(t.name, t.id);
    }
    if (first) throw new Corruption(manifestPath, 0, 'the manifest holds no complete record');
    const vs = new VersionSet(fs, dir, checksum, options, version, state);
    // File numbers seen on disk are taken, whatever the manifest says.
    for (const name of names) {
      const p = parseName(name);
      if (p.type === 'wal' || p.type === 'sst' || p.type === 'manifest') vs.markFileNumberUsed(p.number);
    }
    return vs;
  }

  get current(): Version {
    return this.#current;
  }

  get logNumber(): number {
    return this.#logNumber;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Every WAL numbered at or below this is known to have been fully synced. */
  get syncedLog(): number {
    return this.#syncedLog;
  }

  get tables(): ReadonlyMap<string, number> {
    return this.#tables;
  }

  /** Assigns ids to table names not seen before; returns the edit field to persist them. */
  registerTables(names: readonly string[]): { name: string; id: number }[] {
    let next = 0;
    for (const id of this.#tables.values()) next = Math.max(next, id + 1);
    const added: { name: string; id: number }[] = [];
    for (const name of names) {
      if (this.#tables.has(name)) continue;
      if (next > 0xffff) throw new Error('too many tables over the life of this database (65536)');
      this.#tables.set(name, next);
      added.push({ name, id: next });
      next++;
    }
    return added;
  }

  newFileNumber(): FileNum {
    return this.#nextFileNumber++ as FileNum;
  }

  markFileNumberUsed(n: number): void {
    if (n >= this.#nextFileNumber) this.#nextFileNumber = n + 1;
  }

  ref(v: Version): void {
    v.refs++;
    this.#live.add(v);
  }

  unref(v: Version): void {
    v.refs--;
    if (v.refs <= 0) {
      this.#live.delete(v);
      this.onObsolete();
    }
  }

  /** File numbers of every SSTable some live version holds. */
  liveFiles(): Set<number> {
    const out = new Set<number>();
    for (const v of this.#live) for (const f of v.allFiles()) out.add(f.fileNum);
    return out;
  }

  /**
   * Persists `edit` (with the current file counter and `lastSeq`) and installs
   * the resulting version. On failure nothing is installed and the error
   * (IoError) is thrown; the manifest's tail is then unknown, so the caller
   * must stop writing.
   */
  logAndApply(edit: VersionEdit): Promise<Version> {
    const run = this.#chain.then(() => this.#logAndApply(edit));
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #logAndApply(edit: VersionEdit): Promise<Version> {
    this.#throwIfBroken();
    const next = applyEdit(this.#current, edit);
    const full: VersionEdit = { ...edit, nextFileNumber: this.#nextFileNumber, lastSeq: Math.max(this.#lastSeq, edit.lastSeq ?? 0) };
    const manifest = this.#manifest;
    try {
      if (manifest === undefined || manifest.size() >= this.#options.manifestMaxBytes) {
        await this.#writeSnapshot(next, full.logNumber ?? this.#logNumber, full.lastSeq ?? this.#lastSeq, Math.max(this.#syncedLog, full.syncedLog ?? 0));
      } else {
        const frame = encodeFrame(encodeEdit(full), this.#checksum);
        io(`appending to ${manifest.path}`, () => manifest.append(frame));
        await ioAsync(`syncing ${manifest.path}`, () => manifest.sync());
      }
    } catch (err) {
      // The manifest's tail is now unknown: appending more could bury a torn
      // record under valid ones or make a failed edit durable. Refuse all.
      this.#broken = err;
      throw err;
    }
    this.#install(next, full);
    return next;
  }

  #install(next: Version, edit: VersionEdit): void {
    if (edit.logNumber !== undefined) this.#logNumber = edit.logNumber;
    if (edit.syncedLog !== undefined) this.#syncedLog = Math.max(this.#syncedLog, edit.syncedLog);
    if (edit.lastSeq !== undefined) this.#lastSeq = edit.lastSeq;
    const prev = this.#current;
    this.#current = next;
    this.ref(next);
    this.unref(prev);
  }

  /**
   * Starts a new manifest holding the whole state (with `logNumber` and
   * `lastSeq`), makes CURRENT name it, and removes the old manifest.
   */
  writeSnapshot(logNumber: number, lastSeq: number): Promise<void> {
    const run = this.#chain.then(async () => {
      this.#throwIfBroken();
      try {
        await this.#writeSnapshot(this.#current, logNumber, lastSeq);
      } catch (err) {
        this.#broken = err;
        throw err;
      }
      this.#logNumber = logNumber;
      this.#lastSeq = Math.max(this.#lastSeq, lastSeq);
    });
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #writeSnapshot(version: Version, logNumber: number, lastSeq: number, syncedLog = this.#syncedLog): Promise<void> {
    const number = this.newFileNumber();
    const path = posix.join(this.#dir, manifestName(number));
    const added: { level: number; meta: FileMeta }[] = [];
    version.levels.forEach((files, level) => {
      for (const meta of files) added.push({ level, meta });
    });
    const snapshot: VersionEdit = {
      logNumber,
      nextFileNumber: this.#nextFileNumber,
      lastSeq,
      syncedLog,
      tables: [...this.#tables].map(([name, id]) => ({ name, id })),
      added,
    };
    const file = io(`creating ${path}`, () => this.#fs.create(path));
    try {
      io(`writing ${path}`, () => file.append(encodeFrame(encodeEdit(snapshot), this.#checksum)));
      await ioAsync(`syncing ${path}`, () => file.sync());
      await this.#setCurrent(manifestName(number));
    } catch (err) {
      file.close();
      throw err;
    }
    const old = this.#manifest;
    const oldNumber = this.#manifestNumber;
    this.#manifest = file;
    this.#manifestNumber = number;
    if (old !== undefined) {
      old.close();
      try {
        this.#fs.remove(posix.join(this.#dir, manifestName(oldNumber)));
      } catch {
        // A leftover manifest is harmless; open removes stale ones.
      }
    }
  }

  async #setCurrent(name: string): Promise<void> {
    const tmp = posix.join(this.#dir, CURRENT_TMP);
    if (this.#fs.exists(tmp)) io(`removing ${tmp}`, () => this.#fs.remove(tmp));
    const f = io(`creating ${tmp}`, () => this.#fs.create(tmp));
    try {
      io(`writing ${tmp}`, () => f.append(new TextEncoder().encode(`${name}\n`)));
      await ioAsync(`syncing ${tmp}`, () => f.sync());
    } finally {
      f.close();
    }
    io(`renaming ${tmp}`, () => this.#fs.rename(tmp, posix.join(this.#dir, CURRENT)));
    await ioAsync(`syncing ${this.#dir}`, () => this.#fs.syncDir(this.#dir));
  }

  /** Number of the live manifest (0 before the first snapshot). */
  get manifestNumber(): number {
    return this.#manifestNumber;
  }

  close(): void {
    this.#manifest?.close();
    this.#manifest = undefined;
  }
}

