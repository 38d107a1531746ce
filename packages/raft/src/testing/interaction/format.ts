// How scenario scripts print Raft's records: one canonical line per entry,
// message, hard state, snapshot and progress, in etcd raft's style. Log
// positions are written term/index (`Log:1/3` is index 3 of term 1), so a
// line reads the same way wherever it appears. Pure functions; the output
// is part of every expected file under test/testdata/raft.

import { decodeConfChange, type ConfChange } from '../../confchange/conf-change.js';
import type { Ready } from '../../core/raw-node.js';
import type { Progress } from '../../tracker/progress.js';
import { EntryType, type ConfState, type Entry, type HardState, type Message, type NodeId, type ReadState, type Snapshot } from '../../types.js';

const text = new TextDecoder();

/** Printable ASCII as a quoted string, anything else as hex. */
export function formatData(data: Uint8Array): string {
  for (const b of data) if (b < 0x20 || b > 0x7e) return `0x${Buffer.from(data).toString('hex')}`;
  return JSON.stringify(text.decode(data));
}

const CHANGE_LETTER = { 'add-voter': 'v', 'add-learner': 'l', remove: 'r' } as const;

/** `v4 r1` (auto), `explicit v4 l5`, or `leave-joint` for the empty change. */
export function formatConfChange(cc: ConfChange): string {
  if (cc.changes.length === 0) return 'leave-joint';
  const parts = cc.changes.map((c) => `${CHANGE_LETTER[c.kind]}${c.node}`);
  if (cc.transition !== 'auto') parts.unshift(cc.transition);
  if (cc.context.length > 0) parts.push(`context=${formatData(cc.context)}`);
  return parts.join(' ');
}

export function formatEntry(e: Entry): string {
  const pos = `${e.term}/${e.index}`;
  if (e.type !== EntryType.ConfChange) return `${pos} EntryNormal ${formatData(e.data)}`;
  let body: string;
  try {
    body = formatConfChange(decodeConfChange(e.data, e.index));
  } catch {
    body = `<undecodable ${formatData(e.data)}>`;
  }
  return `${pos} EntryConfChange ${body}`;
}

export function formatEntries(es: readonly Entry[]): string {
  return `[${es.map(formatEntry).join(', ')}]`;
}

const ids = (xs: readonly NodeId[]): string => `(${xs.join(' ')})`;

/** `voters=(1 2 3)`, in a joint config `voters=(1 4 5)&&(1 2 3)`, then learners, learners_next and autoleave when set. */
export function formatConfState(cs: ConfState): string {
  let s = `voters=${ids(cs.voters)}`;
  if (cs.votersOutgoing.length > 0) s += `&&${ids(cs.votersOutgoing)}`;
  if (cs.learners.length > 0) s += ` learners=${ids(cs.learners)}`;
  if (cs.learnersNext.length > 0) s += ` learners_next=${ids(cs.learnersNext)}`;
  if (cs.autoLeave) s += ' autoleave';
  return s;
}

export function formatSnapshot(s: Snapshot): string {
  return `Index:${s.meta.index} Term:${s.meta.term} ConfState:${formatConfState(s.meta.confState)} Data:${formatData(s.data)}`;
}

export function formatHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function formatReadState(rs: ReadState): string {
  return `Index:${rs.index} Context:${formatData(rs.context)}`;
}

/**
 * One message as `sender->to Type Term:t ...`. `sender` is the node that
 * sent it; a forwarded request whose `from` names another node (the
 * transferee, or the node that asked for a read) says so.
 */
export function formatMessage(sender: NodeId, m: Message): string {
  const head = `${sender}->${m.to} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} Log:${m.logTerm}/${m.index} Commit:${m.commit}${m.entries.length > 0 ? ` Entries:${formatEntries(m.entries)}` : ''}`;
    case 'MsgAppResp':
      return m.reject ? `${head} Index:${m.index} Rejected Hint:${m.logTerm}/${m.rejectHint}` : `${head} Index:${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.logTerm}/${m.index}${m.transfer ? ' Transfer' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return m.reject ? `${head} Rejected` : head;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${m.context.length > 0 ? ` Context:${formatData(m.context)}` : ''}`;
    case 'MsgHeartbeatResp':
      return m.context.length > 0 ? `${head} Context:${formatData(m.context)}` : head;
    case 'MsgSnap':
      return `${head} Snapshot: ${formatSnapshot(m.snapshot)}`;
    case 'MsgProp':
      return `${head} Entries:${formatEntries(m.entries)}`;
    case 'MsgReadIndex':
      return `${head} Context:${formatData(m.context)}${m.from !== sender ? ` For:${m.from}` : ''}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index} Context:${formatData(m.context)}`;
    case 'MsgTransferLeader':
      return `${head} Transferee:${m.from}`;
    case 'MsgTimeoutNow':
      return head;
  }
}

/** The Ready's fields in the order the driver handles them; empty fields are left out. */
export function formatReady(sender: NodeId, rd: Ready): string[] {
  const out = [`Ready MustSync=${String(rd.mustSync)}:`];
  if (rd.softState !== undefined) out.push(`Lead:${rd.softState.lead} State:${rd.softState.role}`);
  if (rd.hardState !== undefined) out.push(formatHardState(rd.hardState));
  if (rd.snapshot !== undefined) out.push(`Snapshot ${formatSnapshot(rd.snapshot)}`);
  const section = (title: string, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    out.push(`${title}:`, ...lines);
  };
  section('Entries', rd.entries.map(formatEntry));
  section('Messages', rd.messages.map((m) => formatMessage(sender, m)));
  section('CommittedEntries', rd.committedEntries.map(formatEntry));
  section('ReadStates', rd.readStates.map(formatReadState));
  return out;
}

/** `2: replicate match=5 next=6`, then flags: learner, paused, inflight=n, snapshot=i, inactive. */
export function formatProgress(id: NodeId, pr: Progress): string {
  let s = `${id}: ${pr.state} match=${pr.match} next=${pr.next}`;
  if (pr.isLearner) s += ' learner';
  if (pr.isPaused()) s += ' paused';
  if (pr.inflights.count > 0) s += ` inflight=${pr.inflights.count}`;
  if (pr.state === 'snapshot') s += ` snapshot=${pr.pendingSnapshot}`;
  if (!pr.recentActive) s += ' inactive';
  return s;
}

export function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}
