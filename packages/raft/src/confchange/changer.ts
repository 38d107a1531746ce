// Computes the configuration a ConfChange leads to (etcd raft's
// confchange/confchange.go), as a pure function of the current one. It
// validates as it goes, so a change that would break an invariant is refused
// with InvalidArgument and the configuration stays as it was. Invariants of
// every result: voters and learners are disjoint; learnersNext are outgoing
// voters that are not incoming voters; a configuration with an outgoing half
// is joint; at least one incoming voter remains.

import { InvalidArgument } from '@strata/engine';
import type { TrackerConfig } from '../tracker/tracker.js';
import type { NodeId } from '../types.js';
import { entersJoint, isLeaveJoint, type ConfChange, type ConfChangeSingle } from './conf-change.js';

interface Draft {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function draftOf(c: TrackerConfig): Draft {
  return {
    incoming: new Set(c.voters.incoming),
    outgoing: new Set(c.voters.outgoing),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

function configOf(d: Draft): TrackerConfig {
  return { voters: { incoming: d.incoming, outgoing: d.outgoing }, learners: d.learners, learnersNext: d.learnersNext, autoLeave: d.autoLeave };
}

/** The configuration after `cc` is applied to `current`; InvalidArgument if it may not be. */
export function changeConfig(current: TrackerConfig, cc: ConfChange): TrackerConfig {
  const joint = current.voters.outgoing.size > 0;
  if (isLeaveJoint(cc)) {
    if (!joint) throw new InvalidArgument('cannot leave a joint configuration: the configuration is not joint');
    return leaveJoint(current);
  }
  if (joint) throw new InvalidArgument('the configuration is joint: leave it before changing it again');
  const { joint: enter, autoLeave } = entersJoint(cc);
  return enter ? enterJoint(current, cc.changes, autoLeave) : simple(current, cc.changes);
}

/** One change, applied directly: allowed only if it alters at most one voter. */
function simple(current: TrackerConfig, changes: readonly ConfChangeSingle[]): TrackerConfig {
  const d = draftOf(current);
  applyChanges(d, changes);
  let changed = 0;
  for (const id of d.incoming) if (!current.voters.incoming.has(id)) changed++;
  for (const id of current.voters.incoming) if (!d.incoming.has(id)) changed++;
  if (changed > 1) throw new InvalidArgument('more than one voter changed without entering a joint configuration');
  return check(d);
}

function enterJoint(current: TrackerConfig, changes: readonly ConfChangeSingle[], autoLeave: boolean): TrackerConfig {
  if (current.voters.incoming.size === 0) throw new InvalidArgument('cannot make a configuration without voters joint');
  const d = draftOf(current);
  // The old voters become the outgoing half; the changes shape the incoming one.
  d.outgoing = new Set(current.voters.incoming);
  applyChanges(d, changes);
  d.autoLeave = autoLeave;
  return check(d);
}

function leaveJoint(current: TrackerConfig): TrackerConfig {
  const d = draftOf(current);
  for (const id of d.learnersNext) d.learners.add(id);
  d.learnersNext.clear();
  d.outgoing.clear();
  d.autoLeave = false;
  return check(d);
}

function applyChanges(d: Draft, changes: readonly ConfChangeSingle[]): void {
  for (const c of changes) {
    switch (c.kind) {
      case 'add-voter':
        d.learners.delete(c.node);
        d.learnersNext.delete(c.node);
        d.incoming.add(c.node);
        break;
      case 'add-learner':
        d.incoming.delete(c.node);
        d.learners.delete(c.node);
        d.learnersNext.delete(c.node);
        // A voter of the outgoing half stays a voter until the joint configuration is left.
        if (d.outgoing.has(c.node)) d.learnersNext.add(c.node);
        else d.learners.add(c.node);
        break;
      case 'remove':
        d.incoming.delete(c.node);
        d.learners.delete(c.node);
        d.learnersNext.delete(c.node);
        break;
    }
  }
  if (d.incoming.size === 0) throw new InvalidArgument('the change removes every voter');
}

function check(d: Draft): TrackerConfig {
  for (const id of d.learners) {
    if (d.incoming.has(id) || d.outgoing.has(id)) throw new InvalidArgument(`node ${id} would be a voter and a learner at once`);
  }
  for (const id of d.learnersNext) {
    if (!d.outgoing.has(id) || d.incoming.has(id)) throw new InvalidArgument(`node ${id} is to become a learner but is not an outgoing voter only`);
  }
  if (d.outgoing.size === 0 && (d.learnersNext.size > 0 || d.autoLeave)) throw new InvalidArgument('a configuration that is not joint has no pending learners and no auto-leave');
  return configOf(d);
}
