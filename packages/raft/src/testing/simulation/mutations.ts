// Deliberately broken Raft rules, for proving that the simulation's checkers
// can fail. Each mutation patches one method of the core in this process and
// returns a function that undoes it; a test applies one, runs seeds until a
// checker objects, and undoes it. Never applied outside those tests.

import { Raft } from '../../core/raft.js';
import { RaftLog } from '../../log/raft-log.js';
import { ProgressTracker } from '../../tracker/tracker.js';

export interface Mutation {
  readonly name: string;
  /** The rule of the paper the mutation breaks. */
  readonly breaks: string;
  apply(): () => void;
}

function patch<T extends object, K extends keyof T>(proto: T, key: K, make: (original: T[K]) => T[K]): () => void {
  const original = proto[key];
  proto[key] = make(original);
  return () => {
    proto[key] = original;
  };
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'votes ignore the election restriction',
    breaks: '§5.4.1: a voter denies its vote to a candidate whose log is less up to date',
    apply: () => patch(RaftLog.prototype, 'isUpToDate', () => () => true),
  },
  {
    name: 'commit counts the best-replicated follower instead of a majority',
    breaks: '§5.3: an entry is committed once a majority stores it',
    apply: () =>
      patch(ProgressTracker.prototype, 'committed', () =>
        function (this: ProgressTracker): number {
          let best = 0;
          for (const pr of this.progress.values()) best = Math.max(best, pr.match);
          return best;
        },
      ),
  },
  {
    name: 'a new leader serves ReadIndex before committing an entry of its term',
    breaks: '§8: a leader learns the commit index by committing an entry of its term before it serves reads',
    apply: () => patch(Raft.prototype, 'committedInTerm', () => () => true),
  },
];
