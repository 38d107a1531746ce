// Options of a Raft log store, their defaults and their validation. Bad
// options are InvalidArgument at open.

import { InvalidArgument } from '@strata/engine';
import type { FileSystem } from '@strata/vfs';

/**
 * What recovery does with a record that does not check out:
 * - 'tolerate-tail-corruption' (the default): a torn or garbage tail of the
 *   newest segment is cut off and the cut synced; it can only hold writes
 *   that were never acknowledged as synced, unless the disk itself damaged
 *   them.
 * - 'absolute-consistency': any mismatch, a torn tail included, is
 *   Corruption naming the file and offset; the caller repairs from a replica.
 * A mismatch in any segment but the newest is Corruption in both modes.
 */
export type RecoveryMode = 'tolerate-tail-corruption' | 'absolute-consistency';

export interface RaftLogOptions {
  readonly fs: FileSystem;
  /** Move to a new segment once the current one reaches this size. Default 64 MiB. */
  readonly targetSegmentSize?: number;
  readonly recoveryMode?: RecoveryMode;
  /** Bytes of recent batch bodies kept in memory for reads. Default 64 MiB. */
  readonly cacheBytes?: number;
  /** Create the directory if it does not exist. Default true. */
  readonly createIfMissing?: boolean;
}

export interface ResolvedOptions {
  readonly fs: FileSystem;
  readonly targetSegmentSize: number;
  readonly recoveryMode: RecoveryMode;
  readonly cacheBytes: number;
  readonly createIfMissing: boolean;
}

function int(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new InvalidArgument(`option ${name} must be an integer >= ${min}, got ${typeof value === 'number' ? String(value) : typeof value}`);
  return value;
}

export function resolveOptions(o: RaftLogOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null || typeof o.fs !== 'object' || o.fs === null) throw new InvalidArgument('options.fs (a FileSystem) is required');
  const mode = o.recoveryMode ?? 'tolerate-tail-corruption';
  if (mode !== 'tolerate-tail-corruption' && mode !== 'absolute-consistency') throw new InvalidArgument(`option recoveryMode must be 'tolerate-tail-corruption' or 'absolute-consistency', got ${String(mode)}`);
  if (o.createIfMissing !== undefined && typeof o.createIfMissing !== 'boolean') throw new InvalidArgument('option createIfMissing must be a boolean');
  return {
    fs: o.fs,
    targetSegmentSize: int('targetSegmentSize', o.targetSegmentSize, 64 * 1024 * 1024, 1024),
    recoveryMode: mode,
    cacheBytes: int('cacheBytes', o.cacheBytes, 64 * 1024 * 1024, 0),
    createIfMissing: o.createIfMissing ?? true,
  };
}
