// Fixtures for the paper tests (paper-*.test.ts): a Raft or RawNode over
// MemoryStorage with a chosen configuration, log and hard state; hand-built
// messages; an election won by hand; and a pump that delivers messages among
// a few Rafts through a filter. Defaults are the paper's plain algorithm
// (no PreVote, no CheckQuorum). Test-only: the package does not export it.

import { Rng } from '@strata/vfs';
import { MemoryStorage } from '../storage/memory-storage.js';
import { EMPTY_CONF_STATE, EntryType, NONE, type ConfState, type Entry, type HardState, type Message, type MsgApp, type MsgAppResp, type NodeId } from '../types.js';
import type { RaftConfig, RandomSource } from './config.js';
import { Raft } from './raft.js';
import { RawNode, type Ready } from './raw-node.js';

export const ELECTION_TICK = 10;

/** Every randomized election timeout is exactly ELECTION_TICK. */
export const FIXED_TIMEOUT: RandomSource = { int: () => 0 };

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** An entry whose data names its index and term, so entries from different leaders differ. */
export function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: enc(`${index}@${term}`) };
}

export interface Setup {
  /** Terms of the entries at indexes 1, 2, ... */
  readonly log?: readonly number[];
  readonly term?: number;
  readonly vote?: NodeId;
  readonly commit?: number;
  /** The rest of the configuration (voters are given separately). */
  readonly conf?: Partial<ConfState>;
  readonly config?: Partial<RaftConfig>;
}

/** Storage as a driver would have left it: the configuration (held as a snapshot at index 0), the log and the hard state. */
export function storageOf(voters: readonly NodeId[], s: Setup = {}): MemoryStorage {
  const storage = new MemoryStorage();
  const confState: ConfState = { ...EMPTY_CONF_STATE, voters, ...s.conf };
  storage.applySnapshot({ meta: { index: 0, term: 0, confState }, data: new Uint8Array(0) });
  storage.append((s.log ?? []).map((term, i) => ent(i + 1, term)));
  const hs: HardState = { term: s.term ?? 0, vote: s.vote ?? NONE, commit: s.commit ?? 0 };
  storage.setHardState(hs);
  return storage;
}

function configOf(id: NodeId, storage: MemoryStorage, s: Setup): RaftConfig {
  return { id, storage, rng: new Rng(id), electionTick: ELECTION_TICK, heartbeatTick: 1, preVote: false, checkQuorum: false, ...s.config };
}

export function newRaft(id: NodeId, voters: readonly NodeId[], s: Setup = {}): Raft {
  return new Raft(configOf(id, storageOf(voters, s), s));
}

export interface Driven {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
}

export function newNode(id: NodeId, voters: readonly NodeId[], s: Setup = {}): Driven {
  const storage = storageOf(voters, s);
  return { node: new RawNode(configOf(id, storage, s)), storage };
}

/** Handles the next Ready as a driver does (persist, then advance) and returns it for inspection. */
export function handleReady({ node, storage }: Driven): Ready {
  const rd = node.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

// ------------------------------------------------------------ messages

export type Of<T extends Message['type']> = Message & { readonly type: T };

export function ofType<T extends Message['type']>(msgs: readonly Message[], type: T): Of<T>[] {
  return msgs.filter((m): m is Of<T> => m.type === type);
}

export function vote(from: NodeId, to: NodeId, term: number, last: { index: number; logTerm: number }): Of<'MsgVote'> {
  return { type: 'MsgVote', from, to, term, index: last.index, logTerm: last.logTerm, transfer: false };
}

export function voteResp(from: NodeId, to: NodeId, term: number, granted: boolean): Of<'MsgVoteResp'> {
  return { type: 'MsgVoteResp', from, to, term, reject: !granted };
}

export function app(from: NodeId, to: NodeId, term: number, prev: { index: number; logTerm: number }, entries: readonly Entry[], commit: number): MsgApp {
  return { type: 'MsgApp', from, to, term, index: prev.index, logTerm: prev.logTerm, entries, commit };
}

/** A follower's acceptance: it holds the leader's log up to `index`. */
export function appResp(from: NodeId, to: NodeId, term: number, index: number): MsgAppResp {
  return { type: 'MsgAppResp', from, to, term, index, reject: false, rejectHint: 0, logTerm: 0 };
}

/** What a follower that stored everything in `m` answers. */
export function ack(m: MsgApp): MsgAppResp {
  return appResp(m.to, m.from, m.term, m.index + m.entries.length);
}

export function heartbeat(from: NodeId, to: NodeId, term: number, commit: number): Of<'MsgHeartbeat'> {
  return { type: 'MsgHeartbeat', from, to, term, commit, context: new Uint8Array(0) };
}

export function heartbeatResp(from: NodeId, to: NodeId, term: number, context: Uint8Array): Of<'MsgHeartbeatResp'> {
  return { type: 'MsgHeartbeatResp', from, to, term, context };
}

/** A local read request, as RawNode.readIndex steps it. */
export function readIndex(r: Raft, context: string): void {
  r.step({ type: 'MsgReadIndex', from: r.id, to: r.id, term: 0, context: enc(context) });
}

// ------------------------------------------------------------ driving

/** Elects r (PreVote off) in its next term with every other voter's vote, and returns what the new leader sent. */
export function elect(r: Raft): Message[] {
  r.hup('election');
  for (const m of ofType(r.takeMessages(), 'MsgVote')) if (r.role === 'candidate') r.step(voteResp(m.to, r.id, m.term, true));
  if (r.role !== 'leader') throw new Error(`node ${r.id} did not win its election (role ${r.role})`);
  return r.takeMessages();
}

/** Elects r and has every follower store and acknowledge its log: the leader's empty entry is committed and every follower is in replicate state. */
export function electAndSync(r: Raft): void {
  for (const m of ofType(elect(r), 'MsgApp')) r.step(ack(m));
  r.takeMessages();
}

/** The terms of r's log, from index 1 (or the first it holds). */
export function terms(r: Raft): number[] {
  return r.log.slice(r.log.firstIndex(), r.log.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((e) => e.term);
}

/**
 * Delivers messages among `rafts` until none is left. `pass` sees each one
 * and returns it (perhaps rewritten) to deliver it, or undefined to drop it;
 * messages to nodes not in `rafts` are dropped. Returns what was delivered.
 */
export function pump(rafts: ReadonlyMap<NodeId, Raft>, pass: (m: Message) => Message | undefined = (m) => m): Message[] {
  const delivered: Message[] = [];
  for (let round = 0; ; round++) {
    if (round > 10_000) throw new Error('the messages did not stop');
    const batch = [...rafts.values()].flatMap((r) => r.takeMessages());
    if (batch.length === 0) return delivered;
    for (const sent of batch) {
      const to = rafts.get(sent.to);
      const m = to === undefined ? undefined : pass(sent);
      if (to === undefined || m === undefined) continue;
      to.step(m);
      delivered.push(m);
    }
  }
}
