// The commands the server proposes through Raft, and their entry encoding
// (docs/format/server-command.md): a version byte, a kind byte, the
// proposer's member id and sequence number (so the proposer can match the
// applied entry to its waiting request), then the payload: the etcd request
// message in protobuf (its codec comes from etcd's own .proto files), or
// JSON for the server's own small records.

import { ByteReader, ByteWriter, Corruption, DecodeError } from '@strata/engine';
import { requestCodec, type MessageCodec } from '../api/proto.js';
import type { CompactionRequest, DeleteRangeRequest, PutRequest, TxnRequest } from '../kv/kv-types.js';

// Part of the format.
export const COMMAND_VERSION = 1;

export interface LeaseGrantRequest {
  readonly TTL: string;
  readonly ID: string;
}
export interface LeaseRevokeRequest {
  readonly ID: string;
}
/** A keep-alive: the lease's expiry restarts on every member when it applies. */
export interface LeaseRenewRequest {
  readonly ID: string;
}
/** A member publishes its name and client URLs once it runs (etcd's member attributes). */
export interface MemberAttributes {
  readonly id: string;
  readonly name: string;
  readonly clientUrls: readonly string[];
}

export type Command =
  | { readonly kind: 'put'; readonly req: PutRequest }
  | { readonly kind: 'delete-range'; readonly req: DeleteRangeRequest }
  | { readonly kind: 'txn'; readonly req: TxnRequest }
  | { readonly kind: 'compaction'; readonly req: CompactionRequest }
  | { readonly kind: 'lease-grant'; readonly req: LeaseGrantRequest }
  | { readonly kind: 'lease-revoke'; readonly req: LeaseRevokeRequest }
  | { readonly kind: 'lease-renew'; readonly req: LeaseRenewRequest }
  | { readonly kind: 'member-attributes'; readonly req: MemberAttributes };

export type CommandKind = Command['kind'];

/** Who proposed an entry: the proposer resolves its request `seq` when the entry applies. */
export interface ProposalId {
  readonly member: number;
  readonly seq: number;
}

const KIND_CODES: Record<CommandKind, number> = {
  put: 1,
  'delete-range': 2,
  txn: 3,
  compaction: 4,
  'lease-grant': 5,
  'lease-revoke': 6,
  'lease-renew': 7,
  'member-attributes': 8,
};
const KINDS_BY_CODE = new Map(Object.entries(KIND_CODES).map(([k, v]) => [v, k as CommandKind]));

const json: MessageCodec<unknown> = {
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)) as unknown,
};

let codecs: Record<CommandKind, MessageCodec<unknown>> | undefined;
function codecOf(kind: CommandKind): MessageCodec<unknown> {
  codecs ??= {
    put: requestCodec('KV', 'Put'),
    'delete-range': requestCodec('KV', 'DeleteRange'),
    txn: requestCodec('KV', 'Txn'),
    compaction: requestCodec('KV', 'Compact'),
    'lease-grant': requestCodec('Lease', 'LeaseGrant'),
    'lease-revoke': requestCodec('Lease', 'LeaseRevoke'),
    'lease-renew': requestCodec('Lease', 'LeaseKeepAlive'),
    'member-attributes': json,
  };
  return codecs[kind];
}

export function encodeCommand(id: ProposalId, cmd: Command): Uint8Array {
  const payload = codecOf(cmd.kind).encode(cmd.req);
  const w = new ByteWriter(payload.length + 24);
  w.u8(COMMAND_VERSION);
  w.u8(KIND_CODES[cmd.kind]);
  w.varint(id.member);
  w.varint(id.seq);
  w.raw(payload);
  return w.finish();
}

/** Decodes an entry's data; bytes that are not a command are Corruption (`where` names the entry). */
export function decodeCommand(data: Uint8Array, where: string): { id: ProposalId; cmd: Command } {
  try {
    const r = new ByteReader(data);
    const version = r.u8();
    if (version !== COMMAND_VERSION) throw new DecodeError(`unknown command version ${version}`, 0);
    const code = r.u8();
    const kind = KINDS_BY_CODE.get(code);
    if (kind === undefined) throw new DecodeError(`unknown command kind ${code}`, 1);
    const member = r.varint();
    const seq = r.varint();
    const req = codecOf(kind).decode(data.subarray(r.position));
    return { id: { member, seq }, cmd: { kind, req } as Command };
  } catch (err) {
    throw new Corruption(where, 0, `undecodable command: ${(err as Error).message}`);
  }
}
