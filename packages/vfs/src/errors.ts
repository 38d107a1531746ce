// The closed set of errors the filesystem seam raises. Every implementation
// (node, mem, fault) maps its failures onto these, so callers match on `code`
// and never on platform strings. `OsError` carries the errno ("EIO", "ENOSPC",
// ...) for everything that is not one of the named cases.

export type VfsErrorCode = 'NotFound' | 'AlreadyExists' | 'LockHeld' | 'HandleClosed' | 'OsError';

/** Base class of every error the vfs raises. */
export abstract class VfsError extends Error {
  abstract readonly code: VfsErrorCode;
  /** The path the failed operation was about. */
  readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }

  override get name(): string {
    return this.code;
  }
}

/** The file or directory does not exist (ENOENT). */
export class NotFound extends VfsError {
  readonly code = 'NotFound';
  constructor(path: string, options?: ErrorOptions) {
    super(`no such file or directory: ${path}`, path, options);
  }
}

/** An exclusive create found the name taken (EEXIST). */
export class AlreadyExists extends VfsError {
  readonly code = 'AlreadyExists';
  constructor(path: string, options?: ErrorOptions) {
    super(`already exists: ${path}`, path, options);
  }
}

/** Another owner (this process or a live one) holds the lock. */
export class LockHeld extends VfsError {
  readonly code = 'LockHeld';
  /** Who holds it, when known (for a lock file: "pid 123 on host"). */
  readonly holder: string | undefined;
  constructor(path: string, holder?: string) {
    super(`lock ${path} is held${holder === undefined ? '' : ` by ${holder}`}`, path);
    this.holder = holder;
  }
}

/** The file handle or lock was already closed or released. */
export class HandleClosed extends VfsError {
  readonly code = 'HandleClosed';
  constructor(path: string) {
    super(`handle is closed: ${path}`, path);
  }
}

/** Any other operating-system failure, with its errno name (EIO, ENOSPC, EISDIR, ...). */
export class OsError extends VfsError {
  readonly code = 'OsError';
  /** POSIX error name, e.g. "EIO". */
  readonly errno: string;
  /** The operation that failed, e.g. "append" or "syncDir". */
  readonly op: string;
  /** True when a FaultFileSystem injected this error rather than the OS raising it. */
  readonly injected: boolean;

  constructor(errno: string, op: string, path: string, options?: ErrorOptions & { injected?: boolean }) {
    super(`${errno}: ${op} ${path}${options?.injected === true ? ' (injected)' : ''}`, path, options);
    this.errno = errno;
    this.op = op;
    this.injected = options?.injected ?? false;
  }
}

/** True for any error raised by the vfs. */
export function isVfsError(err: unknown): err is VfsError {
  return err instanceof VfsError;
}
