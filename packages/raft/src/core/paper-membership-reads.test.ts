// Paper tests of membership changes (Raft paper §6) and read-only queries
// (§8): single Rafts driven by hand where a rule is about one server, the
// in-process Network where it is about a cluster. conf-change.test.ts already
// covers learners, one change at a time, and joint commit and leader
// replacement; these cover the §6 rules it leaves out. Fixtures are in
// paper-harness.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '@strata/engine';
import { testSeed } from '@strata/vfs/testing';
import type { ConfChange, ConfChangeSingle } from '../confchange/conf-change.js';
import { isRaftError } from '../errors.js';
import { Network } from '../testing/network.js';
import { EntryType, NONE, type Message, type NodeId, type Role } from '../types.js';
import { ack, appResp, dec, ELECTION_TICK, elect, electAndSync, enc, FIXED_TIMEOUT, heartbeat, heartbeatResp, newRaft, ofType, pump, readIndex, vote, voteResp } from './paper-harness.js';
import type { Raft } from './raft.js';

const cc = (...changes: ConfChangeSingle[]): ConfChange => ({ transition: 'auto', changes, context: new Uint8Array(0) });
const remove = (node: NodeId): ConfChangeSingle => ({ kind: 'remove', node });
const contexts = (r: Raft): [number, string][] => r.takeReadStates().map((s) => [s.index, dec(s.context)]);

describe('paper §6: cluster membership changes', () => {
  const seed = testSeed('paper §6 membership');

  it('§6 in a joint configuration a candidate needs a majority of the old voters and a majority of the new ones', () => {
    // Old voters 1, 2, 3; new voters 1, 4, 5.
    const cases: { grants: NodeId[]; refusals: NodeId[]; want: Role }[] = [
      { grants: [4, 5], refusals: [], want: 'candidate' },
      { grants: [2, 3], refusals: [], want: 'candidate' },
      { grants: [4, 5], refusals: [2, 3], want: 'follower' },
      { grants: [2, 4], refusals: [], want: 'leader' },
      { grants: [2, 3, 4], refusals: [5], want: 'leader' },
    ];
    for (const c of cases) {
      const r = newRaft(1, [1, 4, 5], { conf: { votersOutgoing: [1, 2, 3] } });
      r.hup('election');
      assert.deepEqual(ofType(r.takeMessages(), 'MsgVote').map((m) => m.to), [2, 3, 4, 5], 'it asks the voters of both halves');
      for (const id of c.refusals) r.step(voteResp(id, 1, 1, false));
      for (const id of c.grants) r.step(voteResp(id, 1, 1, true));
      assert.equal(r.role, c.want, `grants ${JSON.stringify(c.grants)}, refusals ${JSON.stringify(c.refusals)}`);
    }
  });

  it('§6 once a voter is removed, its vote and its acknowledgements no longer count', () => {
    const r = newRaft(1, [1, 2, 3]);
    r.applyConfChange(cc(remove(3)));
    r.hup('election');
    assert.deepEqual(ofType(r.takeMessages(), 'MsgVote').map((m) => m.to), [2], 'the removed voter is not asked');
    r.step(voteResp(3, 1, 1, true));
    assert.equal(r.role, 'candidate', 'with voters 1 and 2, a vote from 3 is no majority');
    r.step(voteResp(2, 1, 1, true));
    assert.equal(r.role, 'leader');
    assert.deepEqual(ofType(r.takeMessages(), 'MsgApp').map((m) => m.to), [2], 'the removed voter is not replicated to');
    r.step(appResp(3, 1, 1, 1));
    assert.equal(r.log.committed, 0, 'an acknowledgement from 3 does not commit');
    r.step(appResp(2, 1, 1, 1));
    assert.equal(r.log.committed, 1);
  });

  it('§6 a server outside the configuration never starts an election, however long it hears nothing', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    const term = net.get(1).node.raft.term;
    // A new server with empty storage: it knows no configuration.
    const fresh = net.addNode(4, seed);
    net.tick(4, 20 * ELECTION_TICK);
    assert.deepEqual({ role: fresh.node.raft.role, term: fresh.node.raft.term }, { role: 'follower', term: 0 });
    assert.deepEqual(net.queue, [], 'it sent nothing');
    // A voter removed from the configuration, which applied its removal.
    net.get(1).node.proposeConfChange(cc(remove(3)));
    net.settle();
    const removed = net.get(3).node.raft;
    assert.deepEqual(removed.trk.confState().voters, [1, 2], 'server 3 applied its own removal');
    const before = removed.term;
    net.tick(3, 20 * ELECTION_TICK);
    assert.deepEqual({ role: removed.role, term: removed.term }, { role: 'follower', term: before });
    assert.deepEqual(net.queue, [], 'it sent nothing');
    net.tickAll(3 * ELECTION_TICK);
    assert.deepEqual(net.leaders(), [1]);
    assert.equal(net.get(1).node.raft.term, term, 'the cluster was not disturbed');
  });

  it('§6 a server that has heard from a current leader within the election timeout disregards a vote request of a higher term', () => {
    const candidate = { index: 0, logTerm: 0 };
    // Under CheckQuorum, a server that heard from its leader just now ignores the request.
    const led = newRaft(2, [1, 2, 3], { term: 2, config: { checkQuorum: true } });
    led.step(heartbeat(1, 2, 2, 0));
    led.takeMessages();
    led.step(vote(3, 2, 3, candidate));
    assert.deepEqual({ term: led.term, lead: led.lead, vote: led.vote }, { term: 2, lead: 1, vote: NONE });
    assert.deepEqual(led.takeMessages(), [], 'not even a refusal');
    // A server that knows no leader takes the request up.
    const leaderless = newRaft(2, [1, 2, 3], { term: 2, config: { checkQuorum: true } });
    leaderless.step(vote(3, 2, 3, candidate));
    assert.deepEqual({ term: leaderless.term, vote: leaderless.vote }, { term: 3, vote: 3 });
  });

  it('§6 a removed server that never learns of its removal cannot disrupt the cluster with its elections', () => {
    const net = new Network([1, 2, 3], seed, { preVote: false });
    net.campaign(1);
    const term = net.get(1).node.raft.term;
    net.isolate(3);
    net.get(1).node.proposeConfChange(cc(remove(3)));
    net.settle();
    assert.deepEqual(net.get(1).node.raft.trk.confState().voters, [1, 2]);
    assert.deepEqual(net.get(3).node.raft.trk.confState().voters, [1, 2, 3], 'server 3 missed its removal');
    net.isolate(3, false);
    net.tickAll(10 * ELECTION_TICK);
    assert.ok(net.get(3).node.raft.term > term + 1, `server 3 kept campaigning (term ${net.get(3).node.raft.term})`);
    assert.deepEqual(net.leaders(), [1]);
    assert.equal(net.get(1).node.raft.term, term, 'the leader kept its term');
    net.get(1).node.propose(enc('after'));
    net.settle();
    assert.deepEqual(net.get(2).applied.map((e) => dec(e.data)), ['after']);
  });

  it('§6 a leader removed by a single-server change steps down once the change is applied, and the remaining servers elect a leader', () => {
    const net = new Network([1, 2, 3], seed);
    net.campaign(1);
    const term = net.get(1).node.raft.term;
    net.get(1).node.proposeConfChange(cc(remove(1)));
    net.settle();
    assert.equal(net.get(1).node.raft.role, 'follower');
    for (const id of [1, 2, 3]) assert.deepEqual(net.get(id).node.raft.trk.confState().voters, [2, 3], `server ${id}`);
    net.tickAll(5 * ELECTION_TICK);
    const [lead, ...others] = net.leaders();
    assert.ok(lead !== undefined && others.length === 0 && [2, 3].includes(lead), `one leader among 2 and 3 (${JSON.stringify(net.leaders())})`);
    assert.equal(net.get(1).node.raft.term, term, 'the removed leader never campaigned');
    net.get(lead).node.propose(enc('after'));
    net.settle();
    for (const id of [2, 3]) assert.deepEqual(net.get(id).applied.map((e) => dec(e.data)), ['after'], `server ${id}`);
  });
});

describe('paper §8: client interaction and read-only queries', () => {
  const seed = testSeed('paper §8 reads');

  it('§8 a new leader appends an empty entry of its term and sends it to every follower at once', () => {
    const r = newRaft(1, [1, 2, 3], { log: [1, 1], term: 1, commit: 2 });
    r.hup('election');
    r.takeMessages();
    r.step(voteResp(2, 1, 2, true));
    assert.equal(r.role, 'leader');
    assert.deepEqual(r.log.entries(3, Infinity).map((e) => [e.index, e.term, e.data.length]), [[3, 2, 0]]);
    const apps = ofType(r.takeMessages(), 'MsgApp');
    assert.deepEqual(apps.map((m) => [m.to, m.index, m.logTerm, m.entries.map((e) => e.index)]), [[2, 2, 1, [3]], [3, 2, 1, [3]]]);
  });

  it('§8 a leader answers a read only after a majority acknowledges a heartbeat round started for it', () => {
    const r = newRaft(1, [1, 2, 3, 4, 5]);
    electAndSync(r);
    readIndex(r, 'r1');
    assert.deepEqual(contexts(r), [], 'not before the round');
    const beats = ofType(r.takeMessages(), 'MsgHeartbeat');
    assert.deepEqual(beats.map((m) => [m.to, dec(m.context)]), [[2, 'r1'], [3, 'r1'], [4, 'r1'], [5, 'r1']]);
    r.step(heartbeatResp(2, 1, 1, enc('r1')));
    r.step(heartbeatResp(4, 1, 1, new Uint8Array(0)));
    assert.deepEqual(contexts(r), [], 'the leader and 2 are not a majority of 5; a plain heartbeat reply does not count');
    r.step(heartbeatResp(3, 1, 1, enc('r1')));
    assert.deepEqual(contexts(r), [[1, 'r1']], 'the leader, 2 and 3 confirm it: the read index is the commit index');
    r.step(heartbeatResp(5, 1, 1, enc('r1')));
    assert.deepEqual(contexts(r), [], 'answered once');
  });

  it('§8 a new leader holds reads until it has committed an entry of its own term', () => {
    // Entries 1 and 2 of term 1 may or may not be committed: the new leader cannot know yet.
    const r = newRaft(1, [1, 2, 3], { log: [1, 1], term: 1 });
    const apps = ofType(elect(r), 'MsgApp');
    readIndex(r, 'early');
    assert.deepEqual(ofType(r.takeMessages(), 'MsgHeartbeat'), [], 'no round is started yet');
    const toTwo = apps.find((m) => m.to === 2);
    assert.ok(toTwo !== undefined);
    r.step(ack(toTwo));
    assert.equal(r.log.committed, 3, 'the empty entry of term 2 is committed');
    assert.deepEqual(ofType(r.takeMessages(), 'MsgHeartbeat').map((m) => [m.to, dec(m.context)]), [[2, 'early'], [3, 'early']], 'now the round starts');
    assert.deepEqual(contexts(r), []);
    r.step(heartbeatResp(3, 1, 2, enc('early')));
    assert.deepEqual(contexts(r), [[3, 'early']]);
  });

  it('§8 a deposed leader cut off from the majority never answers a read, so it cannot return stale data', () => {
    // Without CheckQuorum the old leader does not step down by itself.
    const net = new Network([1, 2, 3], seed, { preVote: false, checkQuorum: false });
    net.campaign(1);
    net.isolate(1);
    net.campaign(2);
    assert.equal(net.get(2).node.raft.role, 'leader');
    net.get(2).node.propose(enc('w'));
    net.settle();
    const written = net.get(2).node.raft.log.committed;
    assert.equal(net.get(1).node.raft.role, 'leader', 'server 1 still believes it leads');
    net.get(1).node.readIndex(enc('stale'));
    net.get(2).node.readIndex(enc('fresh'));
    net.tickAll(3);
    assert.deepEqual(net.get(1).readStates, [], 'the old leader gets no heartbeat quorum');
    assert.deepEqual(net.get(2).readStates.map((s) => [s.index, dec(s.context)]), [[written, 'fresh']], 'the new leader answers at the index of the write');
    net.isolate(1, false);
    net.tickAll(3);
    assert.equal(net.get(1).node.raft.role, 'follower', 'it learns of the new term');
    assert.deepEqual(net.get(1).readStates, [], 'and its pending read is dropped, never answered');
  });

  it('§8 with lease-based reads (which require CheckQuorum) a leader answers at once, and stops once it steps down for want of a quorum', () => {
    assert.throws(() => newRaft(1, [1, 2, 3], { config: { checkQuorum: false, readOnlyOption: 'lease-based' } }), (e: unknown) => isEngineError(e, 'InvalidArgument'));
    const r = newRaft(1, [1, 2, 3], { config: { checkQuorum: true, readOnlyOption: 'lease-based' } });
    electAndSync(r);
    readIndex(r, 'lease');
    assert.deepEqual(contexts(r), [[1, 'lease']], 'answered without a round');
    assert.deepEqual(r.takeMessages(), [], 'no heartbeat was needed');
    // No follower answers any more: within two election timeouts the leader steps down.
    for (let t = 0; t < 2 * ELECTION_TICK; t++) r.tick();
    r.takeMessages();
    assert.equal(r.role, 'follower');
    assert.throws(() => readIndex(r, 'late'), (e: unknown) => isRaftError(e, 'ProposalDropped'));
    assert.deepEqual(contexts(r), []);
  });

  it('§8 a lease-based leader cut off from the majority stops answering reads before a new leader can commit writes', () => {
    // Server 2 times out after exactly electionTick ticks, server 3 later: no split vote.
    const config = { checkQuorum: true, preVote: true, readOnlyOption: 'lease-based' as const };
    const rafts = new Map<NodeId, Raft>([
      [1, newRaft(1, [1, 2, 3], { config: { ...config, rng: FIXED_TIMEOUT } })],
      [2, newRaft(2, [1, 2, 3], { config: { ...config, rng: FIXED_TIMEOUT } })],
      [3, newRaft(3, [1, 2, 3], { config: { ...config, rng: { int: () => ELECTION_TICK / 2 } } })],
    ]);
    const [r1, r2] = [rafts.get(1), rafts.get(2)];
    assert.ok(r1 !== undefined && r2 !== undefined);
    let down: NodeId[] = [];
    const up = (m: Message): Message | undefined => (down.includes(m.from) || down.includes(m.to) ? undefined : m);
    const tickAll = (): void => {
      for (const r of rafts.values()) r.tick();
      pump(rafts, up);
    };
    r1.hup('election');
    pump(rafts, up);
    assert.equal(r1.role, 'leader');
    // One election timeout of normal operation; the partition comes right after the leader's CheckQuorum round.
    for (let t = 0; t < ELECTION_TICK; t++) tickAll();
    down = [1];
    for (let t = 0; t < ELECTION_TICK && r2.role !== 'leader'; t++) tickAll();
    assert.equal(r2.role, 'leader', 'the majority elected server 2');
    r2.propose([{ type: EntryType.Normal, data: enc('w') }]);
    pump(rafts, up);
    const written = r2.log.committed;
    r1.takeReadStates();
    if (r1.role === 'leader') readIndex(r1, 'read after the write');
    const answers = contexts(r1);
    assert.ok(answers.every(([index]) => index >= written), `server 1 (${r1.role}) answered a read at ${JSON.stringify(answers)}, before the write committed at ${written}`);
    assert.deepEqual(answers, [], 'a deposed leader must not serve a lease read');
  });
});
