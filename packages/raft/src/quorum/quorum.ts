// Quorum arithmetic over a configuration: majority and joint (two
// majorities at once). Pure functions of voter sets and what each voter
// acknowledged; the tracker supplies the acknowledgements.

import type { NodeId } from '../types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/** Incoming voters; outgoing is empty outside a joint configuration. */
export interface JointVoters {
  readonly incoming: ReadonlySet<NodeId>;
  readonly outgoing: ReadonlySet<NodeId>;
}

/**
 * The largest index a majority of `voters` acknowledged (acked returns
 * undefined for a voter that acknowledged nothing). An empty set commits
 * everything (Infinity), so a joint config with an empty half is decided by
 * the other.
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => number | undefined): number {
  const n = voters.size;
  if (n === 0) return Infinity;
  // Insertion sort, largest first: configurations are small, and this runs
  // on every acknowledgement (Array.sort's comparator calls cost more).
  const matched: number[] = [];
  for (const id of voters) {
    const v = acked(id) ?? 0;
    let i = matched.length;
    for (; i > 0 && (matched[i - 1] as number) < v; i--) matched[i] = matched[i - 1] as number;
    matched[i] = v;
  }
  return matched[Math.floor(n / 2)] as number;
}

export function majorityVote(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}

export function jointCommitted(v: JointVoters, acked: (id: NodeId) => number | undefined): number {
  return Math.min(majorityCommitted(v.incoming, acked), majorityCommitted(v.outgoing, acked));
}

export function jointVote(v: JointVoters, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVote(v.incoming, votes);
  const b = majorityVote(v.outgoing, votes);
  if (a === b) return a;
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}

/** Every voter of either half. */
export function jointIds(v: JointVoters): Set<NodeId> {
  return new Set([...v.incoming, ...v.outgoing]);
}
