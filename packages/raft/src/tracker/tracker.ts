// The leader's (and a candidate's) bookkeeping over the configuration: each
// member's Progress, the votes of an election, and the quorum questions
// (what is committed, who won, is a quorum still active). The configuration
// is joint while `voters.outgoing` is non-empty.

import { jointCommitted, jointIds, jointVote, type JointVoters, type VoteResult } from '../quorum/quorum.js';
import type { ConfState, NodeId } from '../types.js';
import { Progress } from './progress.js';

export interface TrackerConfig {
  readonly voters: JointVoters;
  readonly learners: ReadonlySet<NodeId>;
  /** Outgoing voters that become learners when the joint config is left. */
  readonly learnersNext: ReadonlySet<NodeId>;
  readonly autoLeave: boolean;
}

export function configFromConfState(cs: ConfState): TrackerConfig {
  return {
    voters: { incoming: new Set(cs.voters), outgoing: new Set(cs.votersOutgoing) },
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

export function confStateOf(c: TrackerConfig): ConfState {
  const sorted = (s: ReadonlySet<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);
  return { voters: sorted(c.voters.incoming), learners: sorted(c.learners), votersOutgoing: sorted(c.voters.outgoing), learnersNext: sorted(c.learnersNext), autoLeave: c.autoLeave };
}

export class ProgressTracker {
  config: TrackerConfig = configFromConfState({ voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
  /** Replaced, never modified in place, when the configuration changes (Raft caches its peer list by this map's identity). */
  progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;
  readonly maxInflightBytes: number;

  /** One closure for committed(), not one per call. */
  readonly #matchOf = (id: NodeId): number | undefined => this.progress.get(id)?.match;

  constructor(maxInflight: number, maxInflightBytes: number) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  isJoint(): boolean {
    return this.config.voters.outgoing.size > 0;
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  voterIds(): Set<NodeId> {
    return jointIds(this.config.voters);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  /** The largest index a quorum of voters has acknowledged. */
  committed(): number {
    return jointCommitted(this.config.voters, this.#matchOf);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records id's vote; a second vote from the same node is ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tally(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterIds()) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: jointVote(this.config.voters, this.votes) };
  }

  /** True if a quorum was heard from since the last check (`self` counts as active). */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) if (!pr.isLearner) active.set(id, id === self || pr.recentActive);
    return jointVote(this.config.voters, active) === 'won';
  }

  /** Installs a configuration, keeping the progress of members that stay and starting new ones at `next`. */
  apply(config: TrackerConfig, next: number): void {
    const members = new Set([...jointIds(config.voters), ...config.learners, ...config.learnersNext]);
    const progress = new Map<NodeId, Progress>();
    for (const id of members) {
      // learnersNext are still voters (of the outgoing half) until the joint config is left.
      const isLearner = config.learners.has(id);
      let pr = this.progress.get(id);
      if (pr === undefined) {
        // A new member starts as if it had nothing; the leader probes back from next.
        pr = new Progress(0, next, isLearner, this.maxInflight, this.maxInflightBytes);
        pr.recentActive = true;
      } else pr.isLearner = isLearner;
      progress.set(id, pr);
    }
    this.config = config;
    this.progress = progress;
  }

  confState(): ConfState {
    return confStateOf(this.config);
  }
}
