// The errors the Raft log adds to the engine's closed set (IoError,
// Corruption, InvalidArgument, Closed from @strata/engine): a read outside
// the entries a group holds. They carry the group and bounds, and their
// codes match what Raft's Storage reports for the same cases.

export type RaftLogErrorCode = 'Compacted' | 'Unavailable';

export abstract class RaftLogError extends Error {
  abstract readonly code: RaftLogErrorCode;
  readonly group: number;
  readonly index: number;

  constructor(group: number, index: number, message: string) {
    super(message);
    this.group = group;
    this.index = index;
  }

  override get name(): string {
    return this.code;
  }
}

/** The index is below the group's first entry: it was compacted away (read the snapshot instead). */
export class Compacted extends RaftLogError {
  readonly code = 'Compacted';
  readonly firstIndex: number;
  constructor(group: number, index: number, firstIndex: number) {
    super(group, index, `group ${group}: index ${index} is compacted (first index ${firstIndex})`);
    this.firstIndex = firstIndex;
  }
}

/** The index is past the group's last entry. */
export class Unavailable extends RaftLogError {
  readonly code = 'Unavailable';
  readonly lastIndex: number;
  constructor(group: number, index: number, lastIndex: number) {
    super(group, index, `group ${group}: index ${index} is past the last index ${lastIndex}`);
    this.lastIndex = lastIndex;
  }
}

export function isRaftLogError(err: unknown, code?: RaftLogErrorCode): err is RaftLogError {
  return err instanceof RaftLogError && (code === undefined || err.code === code);
}
