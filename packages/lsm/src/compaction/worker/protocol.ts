// Messages between the engine and its background worker thread. A request
// carries everything a flush or compaction needs that is not on disk: the
// spec or the sealed memtable's entries (its arena chunks are shared memory),
// the live snapshots, the table options and a block of reserved file numbers
// for the outputs. Structured-clone friendly: plain objects and Uint8Arrays.

import type { TableBuilderOptions } from '../../sstable/table-builder.js';
import type { RangeTombstone } from '../../range-del/tombstone.js';
import type { CompactionSpec, JobResult } from '../compaction-job.js';
import type { FrozenEntries } from '../../memtable/memtable.js';

/** What every job request carries. */
interface JobRequestBase {
  readonly id: number;
  readonly dir: string;
  readonly snapshots: readonly number[];
  readonly table: TableBuilderOptions;
  readonly targetFileSize: number;
  /** File numbers the outputs may use, in order. */
  readonly fileNumbers: readonly number[];
}

export interface CompactionRequest extends JobRequestBase {
  readonly kind: 'compaction';
  readonly spec: CompactionSpec;
}

/** A flush: an immutable memtable's entries and its range tombstones. */
export interface FlushRequest extends JobRequestBase {
  readonly kind: 'flush';
  readonly entries: FrozenEntries;
  readonly tombstones: readonly RangeTombstone[];
}

export type JobRequest = CompactionRequest | FlushRequest;

/** How a failed job's error crosses the thread boundary. */
export interface WorkerError {
  readonly code: 'Corruption' | 'IoError' | 'OutOfFileNumbers' | 'Other';
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
}

export type CompactionResponse =
  | { readonly id: number; readonly ok: true; readonly result: JobResult }
  | { readonly id: number; readonly ok: false; readonly error: WorkerError };
