// A range tombstone: deletes every version of every table key in
// [start, end) whose sequence number is below `seq`. Start and end are table
// keys (keys/internal-key.ts), so a tombstone never crosses tables.

import type { SeqNum } from '../keys/internal-key.js';

export interface RangeTombstone {
  /** First table key covered, inclusive. */
  readonly start: Uint8Array;
  /** First table key not covered. Invariant: start < end. */
  readonly end: Uint8Array;
  /** Sequence number of the batch that wrote it. */
  readonly seq: SeqNum;
}
