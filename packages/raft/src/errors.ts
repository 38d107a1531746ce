// What Raft's Storage and core report beyond the engine's closed set
// (InvalidArgument from @strata/engine covers bad input): an index outside
// the log, a snapshot the application cannot give yet, and a proposal the
// node cannot take now. Each has a literal code.

export type RaftErrorCode = 'Compacted' | 'Unavailable' | 'SnapshotTemporarilyUnavailable' | 'ProposalDropped';

export abstract class RaftError extends Error {
  abstract readonly code: RaftErrorCode;
  override get name(): string {
    return this.code;
  }
}

/** The index is below the first entry storage holds (read the snapshot instead). */
export class Compacted extends RaftError {
  readonly code = 'Compacted';
  constructor(readonly index: number, readonly firstIndex: number) {
    super(`index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The index is past the last entry storage holds. */
export class Unavailable extends RaftError {
  readonly code = 'Unavailable';
  constructor(readonly index: number, readonly lastIndex: number) {
    super(`index ${index} is past the last index ${lastIndex}`);
  }
}

/** The application is still building a snapshot; the leader retries later. */
export class SnapshotTemporarilyUnavailable extends RaftError {
  readonly code = 'SnapshotTemporarilyUnavailable';
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/** The proposal was not appended: no known leader, a leader transfer in progress, or a pending conf change. */
export class ProposalDropped extends RaftError {
  readonly code = 'ProposalDropped';
  constructor(readonly reason: string) {
    super(`proposal dropped: ${reason}`);
  }
}

export function isRaftError(err: unknown, code?: RaftErrorCode): err is RaftError {
  return err instanceof RaftError && (code === undefined || err.code === code);
}
