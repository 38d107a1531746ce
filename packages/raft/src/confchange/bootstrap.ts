// How a new cluster starts: every initial member's storage holds the same
// committed log of one add-voter conf change per member (index i, term 1),
// as etcd raft's Bootstrap writes it. Each node builds its configuration by
// applying those entries like any other conf change, and a member added
// later learns the whole membership history from the leader's log (or from
// a snapshot once the log is compacted).

import { InvalidArgument } from '@strata/engine';
import { EntryType, type Entry, type HardState, type NodeId } from '../types.js';
import { encodeConfChange } from './conf-change.js';

export interface Bootstrap {
  /** Append these to an empty storage... */
  readonly entries: readonly Entry[];
  /** ...and persist this hard state with them. */
  readonly hardState: HardState;
}

export function bootstrap(voters: readonly NodeId[]): Bootstrap {
  if (voters.length === 0) throw new InvalidArgument('a cluster starts with at least one voter');
  if (new Set(voters).size !== voters.length) throw new InvalidArgument('initial voters must be distinct');
  const entries = voters.map((node, i) => ({
    index: i + 1,
    term: 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node }], context: new Uint8Array(0) }),
  }));
  return { entries, hardState: { term: 1, vote: 0, commit: voters.length } };
}
