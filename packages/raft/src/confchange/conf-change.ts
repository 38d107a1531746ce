// A membership change as the application proposes it and as it travels in
// a ConfChange log entry (docs/format/raft-conf-change.md). One change of
// one voter is applied directly; several changes, or an explicit
// transition, go through a joint configuration (enter joint, then leave
// joint), which an empty change list leaves.

import { ByteReader, ByteWriter, Corruption, DecodeError, InvalidArgument } from '@strata/engine';
import type { NodeId } from '../types.js';

export type ConfChangeKind = 'add-voter' | 'add-learner' | 'remove';

export interface ConfChangeSingle {
  readonly kind: ConfChangeKind;
  readonly node: NodeId;
}

/**
 * How a change enters and leaves a joint configuration:
 * - auto: a single voter change is applied directly; anything else enters a
 *   joint configuration that the leader leaves by itself once it is applied;
 * - implicit: always enter joint, and leave it automatically;
 * - explicit: always enter joint, and stay until the application proposes
 *   the leave (an empty change list).
 */
export type ConfChangeTransition = 'auto' | 'implicit' | 'explicit';

export interface ConfChange {
  readonly transition: ConfChangeTransition;
  /** Empty: leave the current joint configuration. */
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to Raft (the application may carry, say, the new member's address). */
  readonly context: Uint8Array;
}

/** The change that leaves a joint configuration. */
export const LEAVE_JOINT: ConfChange = { transition: 'auto', changes: [], context: new Uint8Array(0) };

// Part of the format (docs/format/raft-conf-change.md).
export const CONF_CHANGE_VERSION = 1;
const TRANSITIONS: readonly ConfChangeTransition[] = ['auto', 'implicit', 'explicit'];
const KINDS: readonly ConfChangeKind[] = ['add-voter', 'remove', 'add-learner'];

/** True if applying `cc` means entering a joint configuration (and whether to leave it automatically). */
export function entersJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  const joint = cc.transition !== 'auto' || cc.changes.length > 1;
  return { joint, autoLeave: joint && cc.transition !== 'explicit' };
}

export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

/** Checks the shape of a change; InvalidArgument names what is wrong. */
export function checkConfChange(cc: ConfChange): void {
  if (!TRANSITIONS.includes(cc.transition)) throw new InvalidArgument(`unknown conf change transition ${String(cc.transition)}`);
  if (!(cc.context instanceof Uint8Array)) throw new InvalidArgument('a conf change context is a Uint8Array');
  for (const c of cc.changes) {
    if (!KINDS.includes(c.kind)) throw new InvalidArgument(`unknown conf change kind ${String(c.kind)}`);
    if (!Number.isSafeInteger(c.node) || c.node < 1) throw new InvalidArgument(`a conf change names a node id of at least 1, got ${String(c.node)}`);
  }
  if (cc.changes.length === 0 && cc.transition !== 'auto') throw new InvalidArgument('leaving a joint configuration takes the auto transition');
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  checkConfChange(cc);
  const w = new ByteWriter(8 + cc.changes.length * 4 + cc.context.length);
  w.u8(CONF_CHANGE_VERSION).u8(TRANSITIONS.indexOf(cc.transition)).varint(cc.changes.length);
  for (const c of cc.changes) w.u8(KINDS.indexOf(c.kind)).varint(c.node);
  w.bytes(cc.context);
  return w.finish();
}

/** Decodes a ConfChange entry's data; Corruption (naming the entry index) if the bytes are not one. */
export function decodeConfChange(data: Uint8Array, index: number): ConfChange {
  const bad = (detail: string, at: number): Corruption => new Corruption(`conf change entry ${index}`, at, detail);
  try {
    const r = new ByteReader(data);
    const version = r.u8();
    if (version !== CONF_CHANGE_VERSION) throw bad(`unknown version ${version}`, 0);
    const transition = TRANSITIONS[r.u8()];
    if (transition === undefined) throw bad('unknown transition', 1);
    const n = r.varint();
    if (n > data.length) throw bad(`${n} changes cannot fit in ${data.length} bytes`, r.position);
    const changes: ConfChangeSingle[] = [];
    for (let i = 0; i < n; i++) {
      const at = r.position;
      const kind = KINDS[r.u8()];
      if (kind === undefined) throw bad('unknown change kind', at);
      const node = r.varint();
      if (node === 0) throw bad('node id 0', at + 1);
      changes.push({ kind, node });
    }
    const context = r.bytes().slice();
    r.expectEnd();
    return { transition, changes, context };
  } catch (err) {
    if (err instanceof DecodeError) throw bad(err.message, err.position);
    throw err;
  }
}
