// Messages between the engine and its compaction worker thread. A request
// carries everything a compaction job needs that is not on disk: the spec,
// the live snapshots, the table options and a block of reserved file numbers
// for the outputs. Structured-clone friendly: plain objects and Uint8Arrays.

import type { TableBuilderOptions } from '../../sstable/table-builder.js';
import type { CompactionSpec, JobResult } from '../compaction-job.js';

export interface CompactionRequest {
  readonly id: number;
  readonly dir: string;
  readonly spec: CompactionSpec;
  readonly snapshots: readonly number[];
  readonly table: TableBuilderOptions;
  readonly targetFileSize: number;
  /** File numbers the outputs may use, in order. */
  readonly fileNumbers: readonly number[];
}

/** How a failed job's error crosses the thread boundary. */
export interface WorkerError {
  readonly code: 'Corruption' | 'IoError' | 'Other';
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
}

export type CompactionResponse =
  | { readonly id: number; readonly ok: true; readonly result: JobResult }
  | { readonly id: number; readonly ok: false; readonly error: WorkerError };
