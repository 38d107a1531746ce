// The safety properties of Raft (Figure 3 of the paper), checked by the
// cluster simulation as it runs. The checker sees what the simulated nodes
// do (entries persisted, commit indexes, leaders, applied state, reads) and
// throws Violation, naming the rule, the moment any node breaks one. It
// keeps only global facts, so a node that crashes cannot hide a breach.

import type { Entry, NodeId } from '../../types.js';

export type Rule = 'election safety' | 'log matching' | 'leader completeness' | 'state machine safety' | 'linearizable reads' | 'committed entries are stable' | 'liveness';

export class Violation extends Error {
  constructor(readonly rule: Rule, detail: string) {
    super(`${rule} violated: ${detail}`);
  }
}

/** A 32-bit FNV-1a hash of an entry's type and data. */
export function entryHash(e: Entry): number {
  let h = (0x811c9dc5 ^ e.type) >>> 0;
  for (const b of e.data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The state machine's digest after applying `e` on top of `digest`. */
export function nextDigest(digest: number, e: Entry): number {
  let h = Math.imul(digest ^ e.index, 0x01000193) >>> 0;
  h = Math.imul(h ^ entryHash(e), 0x01000193) >>> 0;
  return h;
}

/** What a checker needs of a node's log (RaftLog has it). */
export interface LogView {
  firstIndex(): number;
  /** The term at i, or 0 if i is compacted or past the end. */
  termOrZero(i: number): number;
}

export class Checker {
  /** The leader seen for each term. */
  readonly #leaderOf = new Map<number, NodeId>();
  /** "index/term" of every entry any node persisted → "hash/prevTerm" (log matching, by induction on the index). */
  readonly #entries = new Map<string, string>();
  /** committedTerm[i]: the term of the entry committed at i (undefined if no node saw it before compacting). */
  readonly #committedTerm: (number | undefined)[] = [];
  /** The highest index any node has known as committed. */
  maxCommitted = 0;
  /** digestAt[i]: the state machine digest after applying index i. */
  readonly #digestAt = new Map<number, number>();

  get leaderTerms(): number {
    return this.#leaderOf.size;
  }

  /** A node is leader of `term`: at most one per term, and its log holds every entry committed in earlier terms. */
  leader(id: NodeId, term: number, log: LogView): void {
    const seen = this.#leaderOf.get(term);
    if (seen === id) return;
    if (seen !== undefined) throw new Violation('election safety', `nodes ${seen} and ${id} are both leaders of term ${term}`);
    this.#leaderOf.set(term, id);
    const first = log.firstIndex();
    for (let i = 1; i <= this.maxCommitted; i++) {
      const t = this.#committedTerm[i];
      if (t === undefined || t >= term) continue;
      if (i < first) continue; // in the leader's snapshot
      const got = log.termOrZero(i);
      if (got !== t) throw new Violation('leader completeness', `leader ${id} of term ${term} holds ${got === 0 ? 'nothing' : `term ${got}`} at ${i}, where an entry of term ${t} is committed`);
    }
  }

  /** A node persisted entry `e`, whose predecessor has term `prevTerm` (undefined if compacted). */
  persisted(id: NodeId, e: Entry, prevTerm: number | undefined): void {
    const key = `${e.index}/${e.term}`;
    const value = `${entryHash(e)}/${prevTerm ?? '?'}`;
    const seen = this.#entries.get(key);
    if (seen === undefined) {
      this.#entries.set(key, value);
      return;
    }
    const [h0, p0] = seen.split('/');
    const [h1, p1] = value.split('/');
    if (h0 !== h1 || (p0 !== '?' && p1 !== '?' && p0 !== p1)) {
      throw new Violation('log matching', `node ${id} holds an entry at ${e.index} of term ${e.term} that differs from another node's (${value} vs ${seen}, hash/prevTerm)`);
    }
    if (p0 === '?' && p1 !== '?') this.#entries.set(key, value);
  }

  /** A node's commit index covers entry i of term t. */
  committed(id: NodeId, i: number, t: number): void {
    const seen = this.#committedTerm[i];
    if (seen !== undefined && seen !== t) throw new Violation('committed entries are stable', `node ${id} committed term ${t} at ${i}, where term ${seen} was committed`);
    this.#committedTerm[i] = t;
    if (i > this.maxCommitted) this.maxCommitted = i;
  }

  commitIndex(i: number): void {
    if (i > this.maxCommitted) this.maxCommitted = i;
  }

  /** A node's state machine reached `digest` at index i (by applying an entry or installing a snapshot). */
  applied(id: NodeId, i: number, digest: number): void {
    const seen = this.#digestAt.get(i);
    if (seen === undefined) this.#digestAt.set(i, digest);
    else if (seen !== digest) throw new Violation('state machine safety', `node ${id} reached state ${digest.toString(16)} at index ${i}, another node ${seen.toString(16)}`);
  }

  /** A read issued when `required` was committed was served at `index`. */
  read(id: NodeId, context: string, index: number, required: number): void {
    if (index < required) throw new Violation('linearizable reads', `node ${id} served read ${context} at index ${index}, but ${required} was committed before the read began`);
  }
}
