// The filesystem seam. Engines reach the disk only through these two
// interfaces, so one engine runs unchanged on the real disk (NodeFileSystem),
// on a crashable in-memory disk (MemFileSystem) and under fault injection
// (FaultFileSystem), and every byte can be counted (AccountingFileSystem).
//
// Sync and async split (measured; see docs/vfs.md): operations that only touch
// the OS page cache are synchronous, because a libuv thread-pool round trip
// costs far more than the work itself. Operations that wait for the device
// (sync, datasync, syncDir) return promises, so the event loop keeps accepting
// work while a flush is in flight; that is what makes group commit possible.
// Interleaving rule: nothing changes across an await except what other callers
// did in between; a synchronous call is atomic with respect to other callers.
//
// Paths are POSIX-style strings. Byte offsets and sizes are integers < 2^53.

/** A handle to an open file. At most one writable handle per file at a time. */
export interface File {
  /** The path the handle was opened with. */
  readonly path: string;
  /** True if opened for writing (create, or open with `writable`). */
  readonly writable: boolean;

  /** Reads up to `length` bytes at `position`; the result is shorter only where it reaches end of file. */
  read(position: number, length: number): Uint8Array;
  /** Reads into `dst` from `position` without allocating; returns the bytes read, fewer than dst.length only at end of file. */
  readInto(dst: Uint8Array, position: number): number;
  /** Writes `data` at the end of the file; the bytes reach the OS before it returns and are durable after sync or datasync. */
  append(data: Uint8Array): void;
  /** Writes `data` at `position`, zero-filling any gap past the end; durable after sync or datasync. */
  writeAt(data: Uint8Array, position: number): void;
  /** Sets the file's size, dropping bytes past it or zero-extending; durable after sync or datasync. */
  truncate(size: number): void;
  /** The current size in bytes, unsynced writes included. */
  size(): number;
  /** Makes every byte written so far and the file's metadata durable (fsync); the file's name is made durable by syncDir. */
  sync(): Promise<void>;
  /** Makes every byte written so far durable, and metadata only as far as needed to read them back (fdatasync). */
  datasync(): Promise<void>;
  /** Releases the handle without syncing; later calls raise HandleClosed; calling it again does nothing. */
  close(): void;
}

export interface OpenOptions {
  /** Open for writing as well as reading. Default false. */
  readonly writable?: boolean;
}

export interface CreateOptions {
  /** Fail with AlreadyExists instead of truncating an existing file. Default false. */
  readonly exclusive?: boolean;
}

export interface FileStat {
  readonly kind: 'file' | 'dir';
  /** Size in bytes for a file, 0 for a directory. */
  readonly size: number;
}

/** An exclusive lock on a path, held until released or until the holding process dies. */
export interface FileLock {
  readonly path: string;
  /** Releases the lock; calling it again does nothing. */
  release(): void;
}

export interface FileSystem {
  /** Opens an existing file; raises NotFound if it does not exist. */
  open(path: string, options?: OpenOptions): File;
  /** Creates a file, or truncates an existing one, and opens it writable; its name is durable only after syncDir of its directory. */
  create(path: string, options?: CreateOptions): File;
  /** Describes the file or directory at `path`; raises NotFound if there is none. */
  stat(path: string): FileStat;
  /** True if a file or directory exists at `path`. */
  exists(path: string): boolean;
  /** The names in directory `dir`, sorted bytewise; raises NotFound if it does not exist. */
  list(dir: string): string[];
  /** Creates a directory, with missing parents when `recursive` (then an existing directory is fine); durable after syncDir of its parent. */
  mkdir(path: string, options?: { readonly recursive?: boolean }): void;
  /** Removes a file or an empty directory; durable after syncDir of its parent. */
  remove(path: string): void;
  /** Atomically renames a file, replacing any file at `to`; durable after syncDir of both parent directories. */
  rename(from: string, to: string): void;
  /** Makes creates, renames and removes of entries in directory `dir` durable (fsync on the directory). */
  syncDir(dir: string): Promise<void>;
  /** Takes an exclusive lock on `path`, creating the file if needed; raises LockHeld if this or another live process holds it. */
  lock(path: string): FileLock;
}
