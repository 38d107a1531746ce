// Paper tests of terms and leader election (Raft paper §5.1, §5.2, §5.4.1),
// after etcd raft's raft_paper_test.go: each drives one Raft with hand-built
// messages and checks its state and what it sends. Fixtures are in
// paper-harness.ts; the defaults are the paper's algorithm (no PreVote, no
// CheckQuorum).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { NONE, type Message, type NodeId, type Role } from '../types.js';
import { app, ELECTION_TICK, elect, electAndSync, ent, FIXED_TIMEOUT, heartbeat, newRaft, ofType, vote, voteResp } from './paper-harness.js';
import type { Raft } from './raft.js';

const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => i + 1);

/** A node of a three-voter cluster in the given role, in term 2 (a follower's term is set; the others reach it by an election from term 1). */
function inRole(role: 'follower' | 'candidate' | 'leader'): Raft {
  if (role === 'follower') return newRaft(1, [1, 2, 3], { term: 2 });
  const r = newRaft(1, [1, 2, 3], { term: 1 });
  if (role === 'candidate') r.hup('election');
  else elect(r);
  r.takeMessages();
  assert.equal(r.role, role);
  assert.equal(r.term, 2);
  return r;
}

/** Ticks r until `changed` holds (at most `limit` ticks), checking it sends nothing before; returns the ticks taken. */
function ticksUntil(r: Raft, changed: () => boolean, limit = 2 * ELECTION_TICK): number {
  for (let ticks = 1; ticks <= limit; ticks++) {
    r.tick();
    if (changed()) return ticks;
    assert.deepEqual(r.takeMessages(), [], `nothing is sent before the timeout (tick ${ticks})`);
  }
  assert.fail(`no change within ${limit} ticks`);
}

describe('paper §5.1: terms', () => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    it(`§5.1 a ${role} that sees a higher term in any message adopts that term and is then a follower`, () => {
      const cases: { name: string; lead: NodeId; vote: NodeId; make: (r: Raft) => Message }[] = [
        { name: 'MsgApp', lead: 2, vote: NONE, make: () => app(2, 1, 3, { index: 0, logTerm: 0 }, [], 0) },
        { name: 'MsgHeartbeat', lead: 2, vote: NONE, make: () => heartbeat(2, 1, 3, 0) },
        { name: 'MsgVote', lead: NONE, vote: 3, make: (r: Raft) => vote(3, 1, 3, { index: r.log.lastIndex(), logTerm: r.log.lastTerm() }) },
        { name: 'MsgVoteResp (rejected)', lead: NONE, vote: NONE, make: () => voteResp(3, 1, 3, false) },
      ];
      for (const c of cases) {
        const r = inRole(role);
        r.step(c.make(r));
        assert.equal(r.term, 3, `${c.name}: term`);
        assert.equal(r.role, 'follower', `${c.name}: role`);
        assert.equal(r.lead, c.lead, `${c.name}: a leader is known only from a leader's message`);
        assert.equal(r.vote, c.vote, `${c.name}: the vote of the old term is gone (granted only to the new candidate)`);
      }
    });
  }

  it('§5.1 a message of a stale term is ignored: the node changes nothing and sends nothing', () => {
    for (const role of ['follower', 'leader'] as const) {
      const r = inRole(role);
      const before = { term: r.term, role: r.role, vote: r.vote, lead: r.lead, last: r.log.lastIndex(), committed: r.log.committed };
      r.step(app(2, 1, 1, { index: 0, logTerm: 0 }, [ent(1, 1)], 1));
      r.step(heartbeat(2, 1, 1, 1));
      r.step(vote(3, 1, 1, { index: 9, logTerm: 1 }));
      r.step(voteResp(3, 1, 1, true));
      assert.deepEqual({ term: r.term, role: r.role, vote: r.vote, lead: r.lead, last: r.log.lastIndex(), committed: r.log.committed }, before, role);
      assert.deepEqual(r.takeMessages(), [], `${role}: no reply`);
    }
  });

  it('§5.1 a vote granted in an earlier term does not count toward the current election', () => {
    const r = newRaft(1, [1, 2, 3], { term: 2 });
    r.hup('election');
    assert.equal(r.term, 3);
    r.step(voteResp(2, 1, 2, true));
    assert.equal(r.role, 'candidate', 'a grant of term 2 is not a vote in term 3');
    r.step(voteResp(2, 1, 3, true));
    assert.equal(r.role, 'leader', 'the same voter granting in term 3 makes a majority');
  });

  it('§5.1 with CheckQuorum, a server answers a stale leader with its own term, and the stale leader steps down', () => {
    const stale = newRaft(1, [1, 2, 3], { term: 1 });
    elect(stale);
    stale.tick();
    const beat = ofType(stale.takeMessages(), 'MsgHeartbeat').find((m) => m.to === 2);
    assert.ok(beat !== undefined && beat.term === 2);
    const plain = newRaft(2, [1, 2, 3], { term: 3 });
    plain.step(beat);
    assert.deepEqual(plain.takeMessages(), [], 'without CheckQuorum or PreVote the stale heartbeat is just ignored');
    const current = newRaft(2, [1, 2, 3], { term: 3, config: { checkQuorum: true } });
    current.step(beat);
    const replies = current.takeMessages();
    assert.deepEqual(replies.map((m) => [m.type, m.to, m.term]), [['MsgAppResp', 1, 3]]);
    for (const m of replies) stale.step(m);
    assert.equal(stale.role, 'follower');
    assert.equal(stale.term, 3);
  });
});

describe('paper §5.2: leader election', () => {
  it('§5.2 a server starts as a follower, and a restarted one keeps its term and the vote it cast', () => {
    const fresh = newRaft(1, [1, 2, 3]);
    assert.deepEqual({ role: fresh.role, term: fresh.term, vote: fresh.vote, lead: fresh.lead }, { role: 'follower', term: 0, vote: NONE, lead: NONE });
    const restarted = newRaft(1, [1, 2, 3], { log: [1, 5], term: 5, vote: 2, commit: 1 });
    assert.deepEqual({ role: restarted.role, term: restarted.term, vote: restarted.vote }, { role: 'follower', term: 5, vote: 2 });
    restarted.step(vote(3, 1, 5, { index: 2, logTerm: 5 }));
    assert.deepEqual(restarted.takeMessages().map((m) => [m.type, m.to, m.type === 'MsgVoteResp' && m.reject]), [['MsgVoteResp', 3, true]], 'it cannot vote again in term 5');
  });

  it('§5.2 a leader sends every follower a heartbeat, with no entries, every heartbeatTick ticks', () => {
    const r = newRaft(1, [1, 2, 3], { config: { heartbeatTick: 3 } });
    electAndSync(r);
    for (let round = 0; round < 3; round++) {
      r.tick();
      r.tick();
      assert.deepEqual(r.takeMessages(), [], `round ${round}: nothing before heartbeatTick`);
      r.tick();
      const sent = r.takeMessages();
      const beats = sent.map((m) => [m.type, m.to, m.term, m.type === 'MsgHeartbeat' ? m.commit : -1]);
      assert.deepEqual(beats, [['MsgHeartbeat', 2, 1, 1], ['MsgHeartbeat', 3, 1, 1]], `round ${round}: a heartbeat carries the commit index`);
    }
  });

  for (const role of ['follower', 'candidate'] as const) {
    it(`§5.2 a ${role} that hears nothing for its election timeout starts an election: it increments its term, votes for itself and asks every other voter`, () => {
      const r = newRaft(1, ids(5), { log: [1], term: 1, commit: 1 });
      if (role === 'candidate') {
        r.hup('election');
        r.takeMessages();
      }
      const term = r.term;
      const ticks = ticksUntil(r, () => r.term !== term);
      assert.ok(ticks >= ELECTION_TICK && ticks < 2 * ELECTION_TICK, `timed out after ${ticks} ticks`);
      assert.deepEqual({ role: r.role, term: r.term, vote: r.vote }, { role: 'candidate', term: term + 1, vote: 1 });
      const sent = r.takeMessages();
      assert.deepEqual(sent.map((m) => [m.type, m.to, m.term]), [2, 3, 4, 5].map((to) => ['MsgVote', to, term + 1]));
    });
  }

  it('§5.2 a follower that keeps hearing from the leader never starts an election', () => {
    const r = newRaft(1, [1, 2, 3], { term: 2 });
    for (let t = 0; t < 20 * ELECTION_TICK; t++) {
      r.tick();
      if (t % 3 === 0) r.step(heartbeat(2, 1, 2, 0));
    }
    assert.deepEqual({ role: r.role, term: r.term, lead: r.lead }, { role: 'follower', term: 2, lead: 2 });
    assert.deepEqual(ofType(r.takeMessages(), 'MsgVote'), []);
    ticksUntil(r, () => r.role === 'candidate');
  });

  it('§5.2 a follower that grants a vote restarts its election timer', () => {
    const r = newRaft(1, [1, 2, 3], { term: 2, config: { rng: FIXED_TIMEOUT } });
    for (let t = 0; t < ELECTION_TICK - 1; t++) r.tick();
    r.step(vote(2, 1, 2, { index: 0, logTerm: 0 }));
    assert.deepEqual(r.takeMessages().map((m) => [m.type, m.type === 'MsgVoteResp' && m.reject]), [['MsgVoteResp', false]]);
    // Without the grant it would time out at tick ELECTION_TICK; now it needs a whole timeout more.
    assert.equal(ticksUntil(r, () => r.role === 'candidate'), ELECTION_TICK);
  });

  it('§5.2 a candidate wins with the votes of a majority, returns to follower when a majority refuses, and otherwise waits (1, 3 and 5 servers)', () => {
    const cases: { size: number; votes: [NodeId, boolean][]; want: Role }[] = [
      { size: 1, votes: [], want: 'leader' },
      { size: 3, votes: [[2, true]], want: 'leader' },
      { size: 3, votes: [[2, true], [3, true]], want: 'leader' },
      { size: 3, votes: [[2, false], [3, true]], want: 'leader' },
      { size: 5, votes: [[2, true], [3, true]], want: 'leader' },
      { size: 5, votes: [[2, false], [3, true], [4, false], [5, true]], want: 'leader' },
      { size: 3, votes: [[2, false], [3, false]], want: 'follower' },
      { size: 5, votes: [[2, false], [3, false], [4, false]], want: 'follower' },
      { size: 5, votes: [[2, true], [3, false], [4, false], [5, false]], want: 'follower' },
      { size: 3, votes: [], want: 'candidate' },
      { size: 3, votes: [[2, false]], want: 'candidate' },
      { size: 5, votes: [[2, true]], want: 'candidate' },
      { size: 5, votes: [[2, true], [3, false], [4, false]], want: 'candidate' },
    ];
    for (const c of cases) {
      const r = newRaft(1, ids(c.size));
      r.hup('election');
      for (const [from, granted] of c.votes) r.step(voteResp(from, 1, 1, granted));
      const label = `${c.size} servers, votes ${JSON.stringify(c.votes)}`;
      assert.equal(r.role, c.want, label);
      assert.equal(r.term, 1, `${label}: the election's term`);
    }
  });

  it('§5.2 a server grants at most one vote per term, to the first candidate that asks', () => {
    const cases: { voted: NodeId; candidate: NodeId; granted: boolean }[] = [
      { voted: NONE, candidate: 2, granted: true },
      { voted: NONE, candidate: 3, granted: true },
      { voted: 2, candidate: 2, granted: true },
      { voted: 3, candidate: 3, granted: true },
      { voted: 2, candidate: 3, granted: false },
      { voted: 3, candidate: 2, granted: false },
    ];
    for (const c of cases) {
      const r = newRaft(1, [1, 2, 3], { term: 1, vote: c.voted });
      r.step(vote(c.candidate, 1, 1, { index: 0, logTerm: 0 }));
      const label = `voted ${c.voted}, asked by ${c.candidate}`;
      assert.deepEqual(r.takeMessages().map((m) => [m.type, m.to, m.term, m.type === 'MsgVoteResp' && m.reject]), [['MsgVoteResp', c.candidate, 1, !c.granted]], label);
      assert.equal(r.vote, c.granted ? c.candidate : c.voted, label);
    }
    // In sequence: 2 asks first and gets the vote; 3 is refused; 2's retransmission is granted again.
    const r = newRaft(1, [1, 2, 3], { term: 1 });
    const answers: boolean[] = [];
    for (const from of [2, 3, 2]) {
      r.step(vote(from, 1, 1, { index: 0, logTerm: 0 }));
      for (const m of ofType(r.takeMessages(), 'MsgVoteResp')) answers.push(!m.reject);
    }
    assert.deepEqual(answers, [true, false, true]);
  });

  it('§5.2 a candidate that hears from a leader of its term or a later one returns to follower and follows it', () => {
    const cases = [
      { name: 'MsgApp of its term', m: app(2, 1, 2, { index: 0, logTerm: 0 }, [], 0), reply: 'MsgAppResp' },
      { name: 'MsgHeartbeat of its term', m: heartbeat(2, 1, 2, 0), reply: 'MsgHeartbeatResp' },
      { name: 'MsgApp of a later term', m: app(2, 1, 5, { index: 0, logTerm: 0 }, [], 0), reply: 'MsgAppResp' },
    ];
    for (const c of cases) {
      const r = inRole('candidate');
      r.step(c.m);
      assert.deepEqual({ role: r.role, term: r.term, lead: r.lead }, { role: 'follower', term: c.m.term, lead: 2 }, c.name);
      assert.deepEqual(r.takeMessages().map((m) => [m.type, m.to]), [[c.reply, 2]], `${c.name}: handled as from the leader`);
    }
  });

  for (const role of ['follower', 'candidate'] as const) {
    it(`§5.2 a ${role} draws its election timeout at random from [electionTick, 2·electionTick) every time it resets`, () => {
      const seed = testSeed(`paper §5.2 randomized ${role} timeout`);
      const r = newRaft(1, [1, 2, 3], { config: { rng: new Rng(seed) } });
      const seen = new Map<number, number>();
      for (let i = 0; i < 500; i++) {
        if (role === 'follower') r.becomeFollower(r.term + 1, NONE);
        else r.becomeCandidate();
        const term = r.term;
        const ticks = ticksUntil(r, () => r.term !== term);
        r.takeMessages();
        seen.set(ticks, (seen.get(ticks) ?? 0) + 1);
      }
      const all = Array.from({ length: ELECTION_TICK }, (_, i) => ELECTION_TICK + i);
      assert.deepEqual([...seen.keys()].sort((a, b) => a - b), all, `every timeout in range, and only those (seed ${seed})`);
    });
  }

  for (const role of ['follower', 'candidate'] as const) {
    it(`§5.2 ${role}s draw their timeouts independently, so mostly a single one times out first`, () => {
      const seed = testSeed(`paper §5.2 ${role} timeouts do not collide`);
      const rafts = ids(5).map((id) => newRaft(id, ids(5), { config: { rng: new Rng((seed + id) >>> 0) } }));
      const rounds = 1000;
      let conflicts = 0;
      for (let round = 0; round < rounds; round++) {
        const before = rafts.map((r) => {
          if (role === 'follower') r.becomeFollower(r.term + 1, NONE);
          else r.becomeCandidate();
          return r.term;
        });
        for (let tick = 0; ; tick++) {
          assert.ok(tick < 2 * ELECTION_TICK, 'someone times out within 2·electionTick');
          for (const r of rafts) r.tick();
          const timedOut = rafts.filter((r, i) => r.term !== before[i]).length;
          if (timedOut === 0) continue;
          if (timedOut > 1) conflicts++;
          break;
        }
        for (const r of rafts) r.takeMessages();
      }
      // Five uniform draws from ten values share their minimum about 23% of the time.
      assert.ok(conflicts / rounds <= 0.3, `${conflicts} of ${rounds} rounds had several servers time out together (seed ${seed})`);
    });
  }
});

describe('paper §5.4.1: election restriction', () => {
  it('§5.4.1 a vote request carries the index and term of the last entry of the candidate\'s log', () => {
    for (const log of [[1], [1, 2, 2], [1, 1, 3, 3, 3]]) {
      const last = log[log.length - 1] as number;
      const r = newRaft(1, [1, 2, 3], { log, term: last, commit: 1 });
      r.hup('election');
      const sent = ofType(r.takeMessages(), 'MsgVote');
      assert.deepEqual(sent.map((m) => [m.to, m.term, m.index, m.logTerm]), [[2, last + 1, log.length, last], [3, last + 1, log.length, last]], `log ${JSON.stringify(log)}`);
    }
  });

  it('§5.4.1 a voter refuses a candidate whose log is less up to date: a lower last term, or the same last term and a shorter log', () => {
    const cases: { voter: number[]; index: number; logTerm: number; granted: boolean; why: string }[] = [
      { voter: [1], index: 1, logTerm: 1, granted: true, why: 'the same log' },
      { voter: [1], index: 2, logTerm: 1, granted: true, why: 'the same last term, a longer log' },
      { voter: [1, 1], index: 1, logTerm: 1, granted: false, why: 'the same last term, a shorter log' },
      { voter: [2], index: 1, logTerm: 1, granted: false, why: 'a lower last term' },
      { voter: [2], index: 3, logTerm: 1, granted: false, why: 'a lower last term, however long the log' },
      { voter: [1, 1], index: 1, logTerm: 2, granted: true, why: 'a higher last term, however short the log' },
      { voter: [1, 2], index: 2, logTerm: 3, granted: true, why: 'a higher last term' },
    ];
    for (const c of cases) {
      const r = newRaft(1, [1, 2, 3], { log: c.voter, term: 3 });
      r.step(vote(2, 1, 4, { index: c.index, logTerm: c.logTerm }));
      const replies = ofType(r.takeMessages(), 'MsgVoteResp');
      assert.deepEqual(replies.map((m) => [m.to, m.term, !m.reject]), [[2, 4, c.granted]], c.why);
      assert.equal(r.vote, c.granted ? 2 : NONE, c.why);
      assert.equal(r.term, 4, `${c.why}: the term is adopted either way`);
    }
  });
});
