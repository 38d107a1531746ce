// Cluster members as the server records them (table "members", one JSON
// record per member id; docs/format/server-command.md), and how ids are
// made: a member id is a hash of its first peer URL and the cluster token
// (so every initial member computes the same ids), the cluster id a hash of
// the initial member ids. Ids are kept below 2^48 so they are exact in a
// JavaScript number, which Raft's node ids are.

import { createHash } from 'node:crypto';
import { Corruption } from '@strata/engine';

export const MEMBERS_TABLE = 'members';

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

function hash48(...parts: readonly string[]): number {
  const h = createHash('sha1');
  for (const p of parts) h.update(p).update('\0');
  const d = h.digest();
  const id = d.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

export function memberId(peerUrl: string, token: string): number {
  return hash48('member', peerUrl, token);
}

export function clusterId(memberIds: readonly number[], token: string): number {
  return hash48('cluster', token, ...[...memberIds].sort((a, b) => a - b).map(String));
}

/** A member id as etcd prints it: 16 lowercase hex digits. */
export function idHex(id: number | bigint): string {
  return BigInt(id).toString(16).padStart(16, '0');
}

export function memberKey(id: number): Uint8Array {
  return new TextEncoder().encode(idHex(id));
}

export function encodeMember(m: Member): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

export function decodeMember(bytes: Uint8Array, where: string): Member {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Corruption(where, 0, `member record is not JSON: ${(err as Error).message}`);
  }
  const m = v as Partial<Member> | null;
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === 'string');
  if (m === null || typeof m !== 'object' || typeof m.id !== 'number' || typeof m.name !== 'string' || !strings(m.peerUrls) || !strings(m.clientUrls) || typeof m.isLearner !== 'boolean') {
    throw new Corruption(where, 0, 'member record lacks a field');
  }
  return { id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner };
}
