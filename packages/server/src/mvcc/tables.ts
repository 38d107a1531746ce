// The state machine's LSM tables and meta keys (docs/format/server-mvcc.md).
// Part of the format.

export const VERSIONS = 'mvcc.versions';
export const REVISIONS = 'mvcc.revisions';
export const META = 'mvcc.meta';
export const LEASES = 'lease.leases';
export const LEASE_KEYS = 'lease.keys';

export const STATE_TABLES = [VERSIONS, REVISIONS, META, LEASES, LEASE_KEYS] as const;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

export const META_KEYS = {
  /** Raft index of the last entry applied (u64). */
  applied: ascii('applied'),
  /** The store's current revision (u64); 1 for an empty store. */
  revision: ascii('revision'),
  /** Revisions below this are compacted away (u64). */
  compact: ascii('compact'),
  /** The compaction whose physical deletion finished (u64); below `compact` after a crash mid-way. */
  compactDone: ascii('compact-done'),
} as const;
