// The member list a server holds: loaded from the replicated "members"
// table, changed only by applied conf changes and member-attribute commands,
// and announced to the peer transport. Initial members come from
// --initial-cluster (every initial member computes the same ids), so the
// bootstrap conf changes carry no context.

import type { StorageEngine, WriteOp } from '@strata/engine';
import { decodeMember, encodeMember, memberKey, MEMBERS_TABLE, type Member } from './member.js';

export class Membership {
  readonly #members = new Map<number, Member>();
  /** Members known from configuration, for bootstrap conf changes that carry no record. */
  readonly #configured: ReadonlyMap<number, Member>;
  readonly #onChange: (members: readonly Member[]) => void;

  constructor(configured: readonly Member[], onChange: (members: readonly Member[]) => void) {
    this.#configured = new Map(configured.map((m) => [m.id, m]));
    this.#onChange = onChange;
  }

  /** Reloads the table (at open, and after a snapshot replaced the state). */
  async load(engine: StorageEngine): Promise<void> {
    this.#members.clear();
    for await (const { key, value } of engine.scan(MEMBERS_TABLE)) {
      const m = decodeMember(value, `${MEMBERS_TABLE}/${new TextDecoder().decode(key)}`);
      this.#members.set(m.id, m);
    }
    this.#onChange(this.list());
  }

  list(): Member[] {
    return [...this.#members.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): Member | undefined {
    return this.#members.get(id);
  }

  /** Peer URLs to reach `id`: its record, else the configuration's. */
  peerUrls(id: number): readonly string[] {
    return this.#members.get(id)?.peerUrls ?? this.#configured.get(id)?.peerUrls ?? [];
  }

  /** The record for a member a conf change adds: its context's, else the configured one, else a bare one. */
  recordFor(id: number, fromContext: Member | undefined, isLearner: boolean): Member {
    const base = fromContext ?? this.#members.get(id) ?? this.#configured.get(id) ?? { id, name: '', peerUrls: [], clientUrls: [], isLearner };
    return { ...base, id, isLearner };
  }

  /** The write that records `m`; call commit() once it is durable in the engine. */
  putOp(m: Member): WriteOp {
    return { type: 'put', table: MEMBERS_TABLE, key: memberKey(m.id), value: encodeMember(m) };
  }

  removeOp(id: number): WriteOp {
    return { type: 'delete', table: MEMBERS_TABLE, key: memberKey(id) };
  }

  commitPut(m: Member): void {
    this.#members.set(m.id, m);
    this.#onChange(this.list());
  }

  commitRemove(id: number): void {
    this.#members.delete(id);
    this.#onChange(this.list());
  }
}
