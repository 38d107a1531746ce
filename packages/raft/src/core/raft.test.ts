// Cluster scenarios of the Raft core over an in-process network: an
// election (§5.2), replication and commit (§5.3), the election restriction
// (§5.4.1), PreVote and CheckQuorum (§9.6 of the thesis), ReadIndex (§8),
// leader transfer, and snapshot catch-up. The rules one by one, with
// hand-built messages, are in paper-*.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testSeed } from '@strata/vfs/testing';
import { ProposalDropped } from '../errors.js';
import { Network } from '../testing/network.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('raft core', () => {
  const seed = testSeed('raft core scenarios');

  it('§5.2 a follower that hears no leader for an election timeout campaigns and wins a majority', () => {
    const net = new Network([1, 2, 3], seed);
    net.tickAll(25);
    const leaders = net.leaders();
    assert.equal(leaders.length, 1);
    const term = net.get(leaders[0] as number).node.raft.term;
    for (const n of net.nodes.values()) {
      assert.equal(n.node.raft.term, term, 'every node is in the leader term');
      assert.equal(n.node.raft.lead, leaders[0]);
    }
  });

  it('§5.3 entries are committed once a majority stores them, and every node applies them in order', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    assert.deepEqual(net.leaders(), [1]);
    net.cut(1, 3);
    for (const s of ['a', 'b', 'c']) net.get(1).node.propose(enc(s));
    net.settle();
    assert.deepEqual(net.get(1).applied.map((e) => dec(e.data)), ['a', 'b', 'c'], 'a majority (1, 2) commits');
    assert.deepEqual(net.get(3).applied, [], 'the cut-off node has nothing');
    net.cut(1, 3, false);
    net.tickAll(2);
    for (const n of net.nodes.values()) assert.deepEqual(n.applied.map((e) => dec(e.data)), ['a', 'b', 'c'], `node ${n.id} caught up`);
  });

  it('§5.4.1 a candidate whose log is behind a majority cannot win', () => {
    const net = new Network([1, 2, 3], seed, { preVote: false });
    net.campaign(1);
    net.isolate(3);
    net.get(1).node.propose(enc('x'));
    net.settle();
    net.isolate(3, false);
    net.isolate(1);
    net.campaign(3);
    assert.notEqual(net.get(3).node.raft.role, 'leader', 'node 2 refuses the stale candidate');
    // Node 2 ignored that campaign (it heard from its leader within the timeout); in time it wins, never node 3.
    const others = (): number[] => net.leaders().filter((id) => id !== 1);
    for (let i = 0; i < 1000 && others().length === 0; i++) net.tickAll(1);
    assert.deepEqual(others(), [2]);
  });

  it('PreVote: a node cut off raises no term, so its return does not depose the leader', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    const term = net.get(1).node.raft.term;
    net.isolate(3);
    net.tick(3, 50);
    net.settle();
    assert.equal(net.get(3).node.raft.term, term, 'pre-votes failed, the term stayed');
    net.isolate(3, false);
    net.tickAll(3);
    assert.deepEqual(net.leaders(), [1]);
    assert.equal(net.get(1).node.raft.term, term);
  });

  it('CheckQuorum: a leader that hears from no quorum for an election timeout steps down', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    net.isolate(1);
    net.tick(1, 25);
    assert.notEqual(net.get(1).node.raft.role, 'leader');
  });

  it('§8 ReadIndex: the leader answers with its commit index after a heartbeat round', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    net.get(1).node.propose(enc('w'));
    net.settle();
    net.get(2).node.readIndex(enc('r1'));
    net.settle();
    const rs = net.get(2).readStates;
    assert.equal(rs.length, 1);
    assert.equal(dec((rs[0] as { context: Uint8Array }).context), 'r1');
    assert.equal((rs[0] as { index: number }).index, net.get(1).node.raft.log.committed);
    net.isolate(1);
    net.get(1).node.readIndex(enc('r2'));
    net.settle();
    assert.equal(net.get(1).readStates.length, 0, 'a leader cut off from its quorum cannot answer');
  });

  it('leader transfer: the target catches up, campaigns at once and wins; proposals are refused meanwhile', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    net.get(1).node.transferLeader(3);
    net.settle();
    assert.deepEqual(net.leaders(), [3]);
    net.get(3).node.transferLeader(2);
    assert.throws(() => net.get(3).node.propose(enc('late')), ProposalDropped);
  });

  it('a follower behind the leader compaction point catches up from a snapshot', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.get(1).node.propose(enc(`e${i}`));
    net.settle();
    const leader = net.get(1);
    const applied = leader.node.raft.log.applied;
    leader.storage.createSnapshot(applied, { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, enc('state'));
    leader.storage.compact(applied);
    net.isolate(3, false);
    net.tickAll(3);
    const f = net.get(3);
    assert.equal(f.storage.snapshot().meta.index, applied, 'the follower installed the snapshot');
    assert.equal(f.node.raft.log.committed, leader.node.raft.log.committed);
  });
});
