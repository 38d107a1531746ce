// Paper tests of log replication and the commit rule (Raft paper §5.3 and
// §5.4.2), after etcd raft's raft_paper_test.go: a leader or follower driven
// by hand-built messages, the logs of Figure 7 brought into agreement, and
// the Figure 8 scenario played out among five Rafts. Fixtures are in
// paper-harness.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryType, type Entry, type Message, type NodeId } from '../types.js';
import { ack, app, appResp, dec, electAndSync, elect, enc, ent, handleReady, newNode, newRaft, ofType, pump, terms, voteResp } from './paper-harness.js';
import type { Raft } from './raft.js';

const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => i + 1);
const at = (e: Entry): [number, number] => [e.index, e.term];
const propose = (r: Raft, data: string): void => r.propose([{ type: EntryType.Normal, data: enc(data) }]);

describe('paper §5.3: log replication', () => {
  it('§5.3 the leader appends a proposal to its log, hands it out to persist, and sends each follower an append with the index and term of the entry before it', () => {
    const d = newNode(1, [1, 2, 3]);
    electAndSync(d.node.raft);
    handleReady(d);
    d.node.propose(enc('some data'));
    const rd = handleReady(d);
    assert.deepEqual(rd.entries.map((e) => [e.index, e.term, dec(e.data)]), [[2, 1, 'some data']], 'the new entry goes to stable storage');
    assert.equal(rd.mustSync, true);
    const apps = ofType(rd.messages, 'MsgApp');
    assert.deepEqual(
      apps.map((m) => ({ to: m.to, term: m.term, index: m.index, logTerm: m.logTerm, entries: m.entries.map(at), commit: m.commit })),
      [2, 3].map((to) => ({ to, term: 1, index: 1, logTerm: 1, entries: [[2, 1]], commit: 1 })),
    );
    assert.equal(rd.messages.length, apps.length, 'nothing else is sent');
    assert.deepEqual(rd.committedEntries, [], 'not committed before followers answer');
  });

  it('§5.3 an entry is committed once a majority of the servers stores it, and not before (1, 3 and 5 servers)', () => {
    const cases: { size: number; acceptors: NodeId[]; committed: boolean }[] = [
      { size: 1, acceptors: [], committed: true },
      { size: 3, acceptors: [], committed: false },
      { size: 3, acceptors: [2], committed: true },
      { size: 3, acceptors: [2, 3], committed: true },
      { size: 5, acceptors: [], committed: false },
      { size: 5, acceptors: [2], committed: false },
      { size: 5, acceptors: [4, 5], committed: true },
      { size: 5, acceptors: [2, 3, 4, 5], committed: true },
    ];
    for (const c of cases) {
      const r = newRaft(1, ids(c.size));
      electAndSync(r);
      propose(r, 'x');
      const li = r.log.lastIndex();
      for (const m of ofType(r.takeMessages(), 'MsgApp')) if (c.acceptors.includes(m.to)) r.step(ack(m));
      assert.equal(r.log.committed, c.committed ? li : li - 1, `${c.size} servers, stored by the leader and ${JSON.stringify(c.acceptors)}`);
    }
  });

  it('§5.3 once an entry is committed, the leader hands it out to apply and sends followers its new commit index', () => {
    const d = newNode(1, [1, 2, 3]);
    electAndSync(d.node.raft);
    handleReady(d);
    d.node.propose(enc('x'));
    const sent = handleReady(d).messages;
    for (const m of ofType(sent, 'MsgApp')) d.node.step(ack(m));
    const rd = handleReady(d);
    assert.deepEqual(rd.committedEntries.map((e) => [e.index, dec(e.data)]), [[2, 'x']]);
    assert.equal(rd.hardState?.commit, 2, 'the commit index is persisted');
    assert.deepEqual(ofType(rd.messages, 'MsgApp').map((m) => [m.to, m.commit]), [[2, 2], [3, 2]], 'later appends carry the commit index');
  });

  it('§5.3 committing an entry commits every entry before it, including those of earlier leaders, and they are applied in log order', () => {
    const d = newNode(1, [1, 2, 3], { log: [1, 2], term: 2 });
    electAndSync(d.node.raft);
    d.node.propose(enc('x'));
    for (const m of ofType(d.node.raft.takeMessages(), 'MsgApp')) d.node.step(ack(m));
    const rd = handleReady(d);
    assert.deepEqual(rd.committedEntries.map(at), [[1, 1], [2, 2], [3, 3], [4, 3]]);
    assert.equal(dec((rd.committedEntries[3] as Entry).data), 'x');
  });

  it('§5.3 a follower applies entries up to the leader\'s commit index, in log order, and never past the last entry it received', () => {
    const cases: { held: number[]; entries: Entry[]; commit: number; applied: number[] }[] = [
      { held: [], entries: [ent(1, 1)], commit: 1, applied: [1] },
      { held: [], entries: [ent(1, 1), ent(2, 1)], commit: 2, applied: [1, 2] },
      { held: [], entries: [ent(1, 1), ent(2, 1)], commit: 1, applied: [1] },
      { held: [], entries: [ent(1, 1)], commit: 2, applied: [1] },
      // Entries 2 and 3 are held from an earlier term; the append vouches only for entry 1.
      { held: [1, 1, 1], entries: [ent(1, 1)], commit: 3, applied: [1] },
    ];
    for (const c of cases) {
      const d = newNode(1, [1, 2, 3], { log: c.held, term: 1 });
      d.node.step(app(2, 1, 2, { index: 0, logTerm: 0 }, c.entries, c.commit));
      const rd = handleReady(d);
      const label = `holding ${c.held.length}, ${c.entries.length} entries, leader commit ${c.commit}`;
      assert.deepEqual(rd.committedEntries.map((e) => e.index), c.applied, label);
      assert.equal(d.node.raft.log.committed, c.applied.length, label);
    }
    // A later append (here a heartbeat) moves the commit index on; the rest is applied then, in order.
    const d = newNode(1, [1, 2, 3], { term: 1 });
    d.node.step(app(2, 1, 1, { index: 0, logTerm: 0 }, [ent(1, 1), ent(2, 1), ent(3, 1)], 1));
    const first = handleReady(d).committedEntries.map((e) => e.index);
    d.node.step({ type: 'MsgHeartbeat', from: 2, to: 1, term: 1, commit: 3, context: new Uint8Array(0) });
    const second = handleReady(d).committedEntries.map((e) => e.index);
    assert.deepEqual([first, second], [[1], [2, 3]]);
  });

  it('§5.3 a follower refuses an append unless its log holds an entry at the previous index with the previous term', () => {
    // The follower's log: (1, term 1), (2, term 2); committed up to 1.
    const cases: { index: number; logTerm: number; reply: { index: number; reject: boolean; rejectHint: number; logTerm: number } }[] = [
      { index: 1, logTerm: 1, reply: { index: 1, reject: false, rejectHint: 0, logTerm: 0 } },
      { index: 2, logTerm: 2, reply: { index: 2, reject: false, rejectHint: 0, logTerm: 0 } },
      // A different term at index 2: the last entry that may match is (1, 1).
      { index: 2, logTerm: 1, reply: { index: 2, reject: true, rejectHint: 1, logTerm: 1 } },
      // Past the end of the log: the last entry (2, 2) may match.
      { index: 3, logTerm: 2, reply: { index: 3, reject: true, rejectHint: 2, logTerm: 2 } },
      { index: 3, logTerm: 3, reply: { index: 3, reject: true, rejectHint: 2, logTerm: 2 } },
    ];
    for (const c of cases) {
      const r = newRaft(1, [1, 2, 3], { log: [1, 2], term: 2, commit: 1 });
      r.step(app(2, 1, 2, { index: c.index, logTerm: c.logTerm }, [], 1));
      const replies = ofType(r.takeMessages(), 'MsgAppResp');
      const label = `previous (${c.index}, ${c.logTerm})`;
      assert.deepEqual(replies.map((m) => ({ to: m.to, index: m.index, reject: m.reject, rejectHint: m.rejectHint, logTerm: m.logTerm })), [{ to: 2, ...c.reply }], label);
      assert.deepEqual(terms(r), [1, 2], `${label}: the log is unchanged`);
    }
  });

  it('§5.3 a follower deletes a conflicting entry and all that follow it, and appends the new entries it lacks', () => {
    // The follower's log: (1, term 1), (2, term 2); nothing committed.
    const cases: { prev: [number, number]; entries: Entry[]; log: number[]; persisted: [number, number][] }[] = [
      { prev: [2, 2], entries: [ent(3, 3)], log: [1, 2, 3], persisted: [[3, 3]] },
      { prev: [1, 1], entries: [ent(2, 3), ent(3, 4)], log: [1, 3, 4], persisted: [[2, 3], [3, 4]] },
      { prev: [1, 1], entries: [ent(2, 2), ent(3, 3)], log: [1, 2, 3], persisted: [[3, 3]] },
      { prev: [0, 0], entries: [ent(1, 1)], log: [1, 2], persisted: [] },
      { prev: [0, 0], entries: [ent(1, 3)], log: [3], persisted: [[1, 3]] },
    ];
    for (const c of cases) {
      const r = newRaft(1, [1, 2, 3], { log: [1, 2], term: 2 });
      r.step(app(2, 1, 4, { index: c.prev[0], logTerm: c.prev[1] }, c.entries, 0));
      const label = `after (${c.prev.join(', ')}): ${JSON.stringify(c.entries.map(at))}`;
      assert.deepEqual(terms(r), c.log, label);
      assert.deepEqual(r.log.unstableEntries().map(at), c.persisted, `${label}: only new entries go to storage`);
      assert.deepEqual(ofType(r.takeMessages(), 'MsgAppResp').map((m) => [m.reject, m.index]), [[false, c.prev[0] + c.entries.length]], label);
    }
  });

  describe('§5.3 Figure 7: the leader brings every follower log into agreement with its own', () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: [string, number[]][] = [
      ['a', [1, 1, 1, 4, 4, 5, 5, 6, 6]],
      ['b', [1, 1, 1, 4]],
      ['c', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
      ['d', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
      ['e', [1, 1, 1, 4, 4, 4, 4]],
      ['f', [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
    ];
    for (const [name, log] of followers) {
      it(`§5.3 Figure 7 (${name}): the follower ends with exactly the leader's log`, () => {
        // The leader of term 8; server 3, which votes for it, is otherwise unreachable.
        const leader = newRaft(1, [1, 2, 3], { log: leaderLog, term: 7 });
        const follower = newRaft(2, [1, 2, 3], { log, term: 7 });
        leader.hup('election');
        leader.step(voteResp(3, 1, 8, true));
        assert.equal(leader.role, 'leader');
        const rafts = new Map([[1, leader], [2, follower]]);
        pump(rafts);
        propose(leader, 'x');
        pump(rafts);
        assert.deepEqual(terms(follower), [...leaderLog, 8, 8]);
        assert.deepEqual(terms(leader), terms(follower));
        assert.equal(leader.log.committed, 12, 'the leader and this follower are a majority');
        assert.equal(follower.log.committed, 12, 'the follower learns the commit index');
      });
    }
  });

  it('§5.3 a rejection names the follower\'s last entry that may match, so the leader skips back a whole conflicting term at once', () => {
    // Figure 7: the leader's log and follower (e).
    const leader = newRaft(1, [1, 2, 3], { log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6], term: 7 });
    const follower = newRaft(2, [1, 2, 3], { log: [1, 1, 1, 4, 4, 4, 4], term: 7 });
    leader.hup('election');
    leader.takeMessages();
    leader.step(voteResp(3, 1, 8, true));
    const probe = ofType(leader.takeMessages(), 'MsgApp').find((m) => m.to === 2);
    assert.ok(probe !== undefined);
    assert.deepEqual([probe.index, probe.logTerm], [10, 6], 'the first probe follows the leader\'s last entry');
    follower.step(probe);
    const [rejection] = ofType(follower.takeMessages(), 'MsgAppResp');
    assert.ok(rejection !== undefined);
    assert.deepEqual([rejection.reject, rejection.rejectHint, rejection.logTerm], [true, 7, 4], 'the follower\'s last entry is (7, 4)');
    leader.step(rejection);
    const retry = ofType(leader.takeMessages(), 'MsgApp').find((m) => m.to === 2);
    assert.ok(retry !== undefined);
    // The leader's last entry of a term at most 4 is (5, 4): it skips its entries of term 5 and the follower's of term 4 in one step.
    assert.deepEqual([retry.index, retry.logTerm, retry.entries.map((e) => e.index)], [5, 4, [6, 7, 8, 9, 10, 11]]);
    follower.step(retry);
    assert.deepEqual(ofType(follower.takeMessages(), 'MsgAppResp').map((m) => [m.reject, m.index]), [[false, 11]]);
    assert.deepEqual(terms(follower), terms(leader));
  });
});

describe('paper §5.4.2: committing entries from previous terms', () => {
  it('§5.4.2 acknowledgements of entries of earlier terms alone do not move the leader\'s commit index', () => {
    const r = newRaft(1, [1, 2, 3], { log: [1, 2], term: 2 });
    elect(r);
    assert.deepEqual(terms(r), [1, 2, 3]);
    r.step(appResp(2, 1, 3, 2));
    r.step(appResp(3, 1, 3, 2));
    assert.equal(r.log.committed, 0, 'all three store entries 1 and 2 of earlier terms');
    r.step(appResp(2, 1, 3, 3));
    assert.equal(r.log.committed, 3, 'entry 3 of term 3 on a majority commits all three');
  });

  /**
   * Figure 8 after step (b): S1 led term 2 and copied entry 2 only to S2; S5
   * won term 3 with the votes of S3 and S4 and wrote its own entry 2. Entry 1
   * is committed everywhere.
   */
  function figure8(): Map<NodeId, Raft> {
    const voters = ids(5);
    return new Map([
      [1, newRaft(1, voters, { log: [1, 2], term: 2, vote: 1, commit: 1 })],
      [2, newRaft(2, voters, { log: [1, 2], term: 2, vote: 1, commit: 1 })],
      [3, newRaft(3, voters, { log: [1], term: 3, vote: 5, commit: 1 })],
      [4, newRaft(4, voters, { log: [1], term: 3, vote: 5, commit: 1 })],
      [5, newRaft(5, voters, { log: [1, 3], term: 3, vote: 5, commit: 1 })],
    ]);
  }

  const get = (rafts: ReadonlyMap<NodeId, Raft>, id: NodeId): Raft => {
    const r = rafts.get(id);
    if (r === undefined) throw new Error(`no server ${id}`);
    return r;
  };

  /** Delivers among the servers that are up. */
  const among = (down: readonly NodeId[], rewrite: (m: Message) => Message = (m) => m) => (m: Message): Message | undefined =>
    down.includes(m.from) || down.includes(m.to) ? undefined : rewrite(m);

  /** (c): S5 is down and S4 cut off; S1 campaigns (term 3 is refused by S3, which voted for S5) until it leads term 4 with S2 and S3. */
  function s1LeadsTerm4(rafts: Map<NodeId, Raft>, rewrite?: (m: Message) => Message): Raft {
    const s1 = get(rafts, 1);
    for (let i = 0; i < 2 && s1.role !== 'leader'; i++) {
      s1.hup('election');
      pump(rafts, among([4, 5], rewrite));
    }
    assert.deepEqual([s1.role, s1.term], ['leader', 4]);
    return s1;
  }

  it('§5.4.2 Figure 8: a leader does not commit an entry of an earlier term once a majority stores it, and a later leader may indeed overwrite it', () => {
    const rafts = figure8();
    // S1's entries of term 4 never get out (as if it crashed right after sending entry 2).
    const withoutTerm4 = (m: Message): Message => (m.type === 'MsgApp' ? { ...m, entries: m.entries.filter((e) => e.term < 4) } : m);
    const s1 = s1LeadsTerm4(rafts, withoutTerm4);
    for (const id of [1, 2, 3]) assert.equal(get(rafts, id).log.term(2), 2, `S${id} stores entry 2 of term 2`);
    assert.equal(s1.log.committed, 1, 'three of five store entry 2, yet it is not committed: it is not of the leader\'s term');
    // (d): S1 crashes; S5 (last term 3) wins with S2, S3 and S4, after a first try in term 4 where S2 and S3 had voted for S1.
    const s5 = get(rafts, 5);
    for (let i = 0; i < 2 && s5.role !== 'leader'; i++) {
      s5.hup('election');
      pump(rafts, among([1]));
    }
    assert.deepEqual([s5.role, s5.term], ['leader', 5]);
    for (const id of [2, 3, 4, 5]) assert.deepEqual(terms(get(rafts, id)), [1, 3, 5], `S${id}: entry 2 of term 2 is replaced`);
    assert.equal(s5.log.committed, 3);
  });

  it('§5.4.2 Figure 8: committing an entry of its own term commits the earlier entries before it, and a server without them can no longer win', () => {
    const rafts = figure8();
    const s1 = s1LeadsTerm4(rafts);
    assert.deepEqual(terms(s1), [1, 2, 4]);
    assert.equal(s1.log.committed, 3, 'entry 3 (term 4) is on a majority, which commits entry 2 with it');
    for (const id of [2, 3]) assert.deepEqual([terms(get(rafts, id)), get(rafts, id).log.committed], [[1, 2, 4], 3], `S${id}`);
    // (e): S1 crashes; S5 campaigns again and again but S2 and S3 refuse it.
    const s5 = get(rafts, 5);
    for (let i = 0; i < 4; i++) {
      s5.hup('election');
      pump(rafts, among([1]));
      assert.notEqual(s5.role, 'leader', `S5's campaign in term ${s5.term} fails`);
    }
    // S2, which holds the committed entries, wins and brings S5's log into line.
    const s2 = get(rafts, 2);
    s2.hup('election');
    pump(rafts, among([1]));
    assert.equal(s2.role, 'leader');
    for (const id of [2, 3, 4, 5]) assert.deepEqual(terms(get(rafts, id)).slice(0, 3), [1, 2, 4], `S${id} keeps the committed entries`);
  });
});
