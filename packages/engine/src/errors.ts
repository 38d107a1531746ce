// The closed set of errors a StorageEngine raises. Callers match on `code`.
// A missing key is not an error: reads return undefined. Failures of the
// filesystem seam surface as IoError with the vfs error as `cause`.

export type EngineErrorCode = 'IoError' | 'TableNotFound' | 'Corruption' | 'InvalidArgument' | 'Closed';

/** Base class of every error a StorageEngine raises. */
export abstract class EngineError extends Error {
  abstract readonly code: EngineErrorCode;

  override get name(): string {
    return this.code;
  }
}

/** The storage below failed; `cause` holds the underlying error. After a failed sync the engine refuses writes until reopened. */
export class IoError extends EngineError {
  readonly code = 'IoError';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/** The operation named a table that was not declared when the engine was opened. */
export class TableNotFound extends EngineError {
  readonly code = 'TableNotFound';
  readonly table: string;
  constructor(table: string) {
    super(`table not found: ${JSON.stringify(table)}`);
    this.table = table;
  }
}

/** Stored bytes failed a check; `file` and `offset` say where. The engine never returns data it could not verify. */
export class Corruption extends EngineError {
  readonly code = 'Corruption';
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, detail: string) {
    super(`corruption in ${file} at offset ${offset}: ${detail}`);
    this.file = file;
    this.offset = offset;
  }
}

/** The caller passed something the API does not accept; nothing was changed. */
export class InvalidArgument extends EngineError {
  readonly code = 'InvalidArgument';
}

/** The engine was closed, or the snapshot or iterator was released. */
export class Closed extends EngineError {
  readonly code = 'Closed';
  constructor(what = 'engine is closed') {
    super(what);
  }
}

/** True if `err` is an EngineError, and of `code` when given. */
export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
