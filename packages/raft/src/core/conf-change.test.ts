// Membership changes (§6 of the Raft paper, joint consensus as in etcd raft):
// the encoding round-trips and refuses corrupt bytes, the changer keeps its
// invariants, and a cluster adds, promotes, removes and replaces members,
// including its leader, through joint configurations.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '@strata/engine';
import { testSeed } from '@strata/vfs/testing';
import { changeConfig } from '../confchange/changer.js';
import { decodeConfChange, encodeConfChange, LEAVE_JOINT, type ConfChange, type ConfChangeSingle } from '../confchange/conf-change.js';
import { isRaftError } from '../errors.js';
import { Network } from '../testing/network.js';
import { configFromConfState, confStateOf } from '../tracker/tracker.js';
import type { ConfState, NodeId } from '../types.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const cc = (transition: ConfChange['transition'], ...changes: ConfChangeSingle[]): ConfChange => ({ transition, changes, context: new Uint8Array(0) });
const add = (node: NodeId): ConfChangeSingle => ({ kind: 'add-voter', node });
const learner = (node: NodeId): ConfChangeSingle => ({ kind: 'add-learner', node });
const remove = (node: NodeId): ConfChangeSingle => ({ kind: 'remove', node });
const cs = (voters: NodeId[], more: Partial<ConfState> = {}): ConfState => ({ voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false, ...more });

describe('conf change encoding', () => {
  it('round-trips every transition and kind', () => {
    const c: ConfChange = { transition: 'explicit', changes: [add(1), learner(300), remove(1 << 30)], context: enc('addr') };
    const back = decodeConfChange(encodeConfChange(c), 7);
    assert.deepEqual({ ...back, context: dec(back.context) }, { ...c, context: 'addr' });
  });

  it('a conf change cut at any byte, or with a byte changed to an unknown value, is Corruption', () => {
    const bytes = encodeConfChange({ transition: 'implicit', changes: [add(2), remove(3)], context: enc('x') });
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => decodeConfChange(bytes.subarray(0, cut), 9), (e: unknown) => isEngineError(e, 'Corruption'), `cut at ${cut}`);
    }
    for (const [at, value] of [[0, 2], [1, 3], [3, 9]] as const) {
      const bad = bytes.slice();
      bad[at] = value;
      assert.throws(() => decodeConfChange(bad, 9), (e: unknown) => isEngineError(e, 'Corruption'), `byte ${at} = ${value}`);
    }
    assert.throws(() => decodeConfChange(new Uint8Array([...bytes, 0]), 9), (e: unknown) => isEngineError(e, 'Corruption'), 'a trailing byte');
  });

  it('bad input is InvalidArgument', () => {
    assert.throws(() => encodeConfChange(cc('auto', add(0))), (e: unknown) => isEngineError(e, 'InvalidArgument'));
    assert.throws(() => encodeConfChange(cc('explicit')), (e: unknown) => isEngineError(e, 'InvalidArgument'));
  });
});

describe('conf changer', () => {
  const apply = (from: ConfState, c: ConfChange): ConfState => confStateOf(changeConfig(configFromConfState(from), c));
  const invalid = (from: ConfState, c: ConfChange, why: RegExp): void => {
    assert.throws(() => apply(from, c), (e: unknown) => isEngineError(e, 'InvalidArgument') && why.test((e as Error).message));
  };

  it('a single voter change applies directly; two need a joint configuration', () => {
    assert.deepEqual(apply(cs([1, 2, 3]), cc('auto', add(4))), cs([1, 2, 3, 4]));
    assert.deepEqual(apply(cs([1, 2, 3]), cc('auto', remove(3))), cs([1, 2]));
    assert.deepEqual(apply(cs([1, 2, 3]), cc('auto', add(4), remove(1))), cs([2, 3, 4], { votersOutgoing: [1, 2, 3], autoLeave: true }));
  });

  it('entering joint keeps the old voters as the outgoing half; leaving turns learnersNext into learners', () => {
    const joint = apply(cs([1, 2, 3]), cc('explicit', learner(3), add(4)));
    assert.deepEqual(joint, cs([1, 2, 4], { votersOutgoing: [1, 2, 3], learnersNext: [3] }));
    assert.deepEqual(apply(joint, LEAVE_JOINT), cs([1, 2, 4], { learners: [3] }));
  });

  it('refuses what would break an invariant', () => {
    invalid(cs([1]), cc('auto', remove(1)), /every voter/);
    invalid(cs([1, 2]), LEAVE_JOINT, /not joint/);
    invalid(cs([2, 3], { votersOutgoing: [1, 2, 3] }), cc('auto', add(4)), /leave it before/);
    invalid(cs([]), cc('explicit', add(1)), /without voters/);
  });

  it('a learner is promoted by adding it as a voter, and a voter demoted by adding it as a learner', () => {
    assert.deepEqual(apply(cs([1, 2, 3], { learners: [4] }), cc('auto', add(4))), cs([1, 2, 3, 4]));
    assert.deepEqual(apply(cs([1, 2, 3]), cc('auto', learner(3))), cs([1, 2], { learners: [3] }));
  });
});

describe('membership changes in a cluster (§6)', () => {
  const seed = testSeed('raft conf change scenarios');

  function cluster(): Network {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    assert.deepEqual(net.leaders(), [1]);
    return net;
  }

  const conf = (net: Network, id: NodeId): ConfState => net.get(id).node.raft.trk.confState();

  it('§6 a learner added to the cluster catches up but neither votes nor counts toward commit', () => {
    const net = cluster();
    net.addNode(4, seed);
    net.get(1).node.proposeConfChange(cc('auto', learner(4)));
    net.settle();
    for (const id of [1, 2, 3, 4]) assert.deepEqual(conf(net, id), cs([1, 2, 3], { learners: [4] }), `node ${id}`);
    net.get(1).node.propose(enc('a'));
    net.settle();
    assert.deepEqual(net.get(4).applied.map((e) => dec(e.data)), ['a'], 'the learner replicates');
    // With two voters cut off, the learner's copy does not make a quorum.
    net.isolate(2);
    net.isolate(3);
    net.get(1).node.propose(enc('b'));
    net.settle();
    assert.deepEqual(net.get(1).applied.map((e) => dec(e.data)), ['a'], 'b is not committed by leader + learner');
    assert.equal(net.get(4).node.raft.promotable(), false, 'a learner never campaigns');
  });

  it('§6 a learner promoted to voter counts toward the quorum', () => {
    const net = cluster();
    net.addNode(4, seed);
    net.get(1).node.proposeConfChange(cc('auto', learner(4)));
    net.settle();
    net.get(1).node.proposeConfChange(cc('auto', add(4)));
    net.settle();
    assert.deepEqual(conf(net, 4), cs([1, 2, 3, 4]));
    net.isolate(3);
    net.get(1).node.propose(enc('x'));
    net.settle();
    assert.deepEqual(net.get(1).applied.map((e) => dec(e.data)), ['x'], '3 of 4 voters commit');
  });

  it('§6 a second conf change is refused until the first is applied', () => {
    const net = cluster();
    net.cut(1, 2);
    net.cut(1, 3);
    net.get(1).node.proposeConfChange(cc('auto', add(4)));
    assert.throws(() => net.get(1).node.proposeConfChange(cc('auto', add(5))), (e: unknown) => isRaftError(e, 'ProposalDropped'));
  });

  it('§6 an invalid change is refused at proposal and leaves the configuration as it was', () => {
    const net = cluster();
    assert.throws(() => net.get(1).node.proposeConfChange(LEAVE_JOINT), (e: unknown) => isEngineError(e, 'InvalidArgument'));
    net.settle();
    assert.deepEqual(conf(net, 1), cs([1, 2, 3]));
  });

  it('§6 joint consensus with auto-leave replaces the leader: it steps down after leaving, and the new voters elect a leader', () => {
    const net = cluster();
    net.addNode(4, seed);
    net.get(1).node.proposeConfChange(cc('auto', add(4), remove(1)));
    net.settle();
    // The leader applied the joint configuration, proposed leaving it, and stepped down once that applied.
    assert.deepEqual(conf(net, 1), cs([2, 3, 4]));
    assert.notEqual(net.get(1).node.raft.role, 'leader', 'the removed leader stepped down');
    // A follower it had not yet told of the commit learns it from the next leader.
    net.tickAll(40);
    for (const id of [2, 3, 4]) assert.deepEqual(conf(net, id), cs([2, 3, 4]), `node ${id} left the joint configuration`);
    const leaders = net.leaders();
    assert.equal(leaders.length, 1);
    assert.ok([2, 3, 4].includes(leaders[0] as number), `the new leader ${leaders[0]} is a member`);
    const lead = leaders[0] as number;
    net.get(lead).node.propose(enc('after'));
    net.settle();
    for (const id of [2, 3, 4]) assert.deepEqual(net.get(id).applied.map((e) => dec(e.data)), ['after'], `node ${id}`);
  });

  it('§6 in an explicit joint configuration, a decision needs a majority of both halves', () => {
    const net = cluster();
    net.addNode(4, seed);
    net.addNode(5, seed);
    net.get(1).node.proposeConfChange(cc('explicit', add(4), add(5), remove(2), remove(3)));
    net.settle();
    assert.deepEqual(conf(net, 1), cs([1, 4, 5], { votersOutgoing: [1, 2, 3] }), 'explicit: stays joint');
    // The new half alone (1, 4, 5) is not enough: the old half has only 1.
    net.isolate(2);
    net.isolate(3);
    net.get(1).node.propose(enc('y'));
    net.settle();
    assert.deepEqual(net.get(1).applied, [], 'no majority of the outgoing half');
    net.isolate(2, false);
    net.settle();
    net.tickAll(2);
    assert.deepEqual(net.get(1).applied.map((e) => dec(e.data)), ['y'], '1 and 2 make the outgoing majority');
    net.get(1).node.proposeConfChange(LEAVE_JOINT);
    net.settle();
    assert.deepEqual(conf(net, 1), cs([1, 4, 5]));
  });
});
