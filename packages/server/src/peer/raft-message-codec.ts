// Encodes a batch of Raft messages to one checksummed frame and back
// (docs/format/raft-message.md; constants in format.ts). Pure: no I/O.
// Encoding sizes the batch, then writes it into one buffer (entry data copied
// once); decoded byte fields are views into the frame, which must not change
// afterwards. Bad input to encode raises InvalidArgument; a frame that fails
// any check raises Corruption(source, offset) and nothing is returned.

import { ByteReader, Corruption, DecodeError, InvalidArgument, putVarint, varintSize, type Checksum } from '@strata/engine';
import type { ConfState, Entry, Message, NodeId, Snapshot } from '@strata/raft';
import { BATCH_CHECKSUM_SEED, BATCH_OVERHEAD, MESSAGE_CODES, RAFT_MESSAGE_VERSION } from './format.js';

/** Bytes `m` takes inside a batch. Raises InvalidArgument for a field the format cannot carry. */
export function messageSize(m: Message): number {
  const head = 1 + uintSize(m.from, 'from') + uintSize(m.to, 'to') + uintSize(m.term, 'term');
  switch (m.type) {
    case 'MsgApp':
      return head + uintSize(m.index, 'index') + uintSize(m.logTerm, 'logTerm') + uintSize(m.commit, 'commit') + entriesSize(m.entries);
    case 'MsgAppResp':
      return head + uintSize(m.index, 'index') + 1 + uintSize(m.rejectHint, 'rejectHint') + uintSize(m.logTerm, 'logTerm');
    case 'MsgVote':
    case 'MsgPreVote':
      return head + uintSize(m.index, 'index') + uintSize(m.logTerm, 'logTerm') + 1;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return head + 1;
    case 'MsgHeartbeat':
      return head + uintSize(m.commit, 'commit') + bytesSize(m.context);
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      return head + bytesSize(m.context);
    case 'MsgSnap':
      return head + snapshotSize(m.snapshot);
    case 'MsgTimeoutNow':
    case 'MsgTransferLeader':
      return head;
    case 'MsgProp':
      return head + entriesSize(m.entries);
    case 'MsgReadIndexResp':
      return head + uintSize(m.index, 'index') + bytesSize(m.context);
    default:
      throw new InvalidArgument(`unknown raft message type ${JSON.stringify((m as { type: unknown }).type)}`);
  }
}

/** Bytes a batch of messages whose sizes sum to `bodyBytes` takes. */
export function batchSize(count: number, bodyBytes: number): number {
  return BATCH_OVERHEAD + varintSize(count) + bodyBytes;
}

/** One frame holding `messages` in order. Raises InvalidArgument (and encodes nothing) if any message is malformed. */
export function encodeMessageBatch(messages: readonly Message[], checksum: Checksum): Uint8Array {
  let body = 0;
  for (const m of messages) body += messageSize(m);
  const size = batchSize(messages.length, body);
  const out = new Out(Buffer.allocUnsafe(size));
  out.u8(RAFT_MESSAGE_VERSION);
  out.uint(messages.length);
  for (const m of messages) writeMessage(out, m);
  const sumAt = out.pos;
  if (sumAt + 4 !== size) throw new Error(`raft message batch sized ${size} bytes but wrote ${sumAt + 4}`);
  const sum = checksum.xxh32(out.buf.subarray(0, sumAt), BATCH_CHECKSUM_SEED);
  new DataView(out.buf.buffer, out.buf.byteOffset, size).setUint32(sumAt, sum, true);
  return out.buf;
}

/**
 * The messages in `frame`. Raises Corruption (file = `source`, offset = byte
 * position) for an unknown version, a checksum mismatch, a field out of range
 * or cut short, or trailing bytes.
 */
export function decodeMessageBatch(frame: Uint8Array, checksum: Checksum, source = 'raft message batch'): Message[] {
  // A plain view, so decoded byte fields are Uint8Arrays even when the frame is a Buffer.
  const buf = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < BATCH_OVERHEAD + 1) throw new Corruption(source, 0, `batch of ${buf.length} bytes is too short`);
  if (buf[0] !== RAFT_MESSAGE_VERSION) throw new Corruption(source, 0, `unknown batch version ${String(buf[0])}`);
  const sumAt = buf.length - 4;
  const want = new DataView(buf.buffer, buf.byteOffset, buf.length).getUint32(sumAt, true);
  const got = checksum.xxh32(buf.subarray(0, sumAt), BATCH_CHECKSUM_SEED);
  if (want !== got) throw new Corruption(source, sumAt, `batch checksum mismatch (stored ${want}, computed ${got})`);
  const body = new In(buf.subarray(0, sumAt), source);
  try {
    body.r.u8();
    const count = body.count();
    const out: Message[] = [];
    for (let i = 0; i < count; i++) out.push(body.message());
    if (!body.r.done) throw new Corruption(source, body.r.position, `${sumAt - body.r.position} trailing bytes`);
    return out;
  } catch (err) {
    if (err instanceof DecodeError) throw new Corruption(source, err.position, err.message);
    throw err;
  }
}

// ---- encoding

function uintSize(x: number, field: string): number {
  if (!Number.isSafeInteger(x) || x < 0) throw new InvalidArgument(`raft message field ${field} must be a non-negative safe integer, got ${String(x)}`);
  return varintSize(x);
}

function bytesSize(b: Uint8Array): number {
  return varintSize(b.length) + b.length;
}

function idsSize(ids: readonly NodeId[], field: string): number {
  let n = varintSize(ids.length);
  for (const id of ids) n += uintSize(id, field);
  return n;
}

function confStateSize(cs: ConfState): number {
  return idsSize(cs.voters, 'voters') + idsSize(cs.learners, 'learners') + idsSize(cs.votersOutgoing, 'votersOutgoing') + idsSize(cs.learnersNext, 'learnersNext') + 1;
}

function snapshotSize(s: Snapshot): number {
  return uintSize(s.meta.index, 'snapshot index') + uintSize(s.meta.term, 'snapshot term') + confStateSize(s.meta.confState) + bytesSize(s.data);
}

function entriesSize(entries: readonly Entry[]): number {
  let n = varintSize(entries.length);
  for (const e of entries) {
    if ((e.type as number) !== 0 && (e.type as number) !== 1) throw new InvalidArgument(`unknown entry type ${String(e.type)}`);
    n += uintSize(e.index, 'entry index') + uintSize(e.term, 'entry term') + 1 + bytesSize(e.data);
  }
  return n;
}

/** A cursor over a buffer sized exactly by messageSize. */
class Out {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  u8(x: number): void {
    this.buf[this.pos++] = x;
  }

  uint(x: number): void {
    this.pos = putVarint(this.buf, this.pos, x);
  }

  bool(x: boolean): void {
    this.buf[this.pos++] = x ? 1 : 0;
  }

  bytes(b: Uint8Array): void {
    this.pos = putVarint(this.buf, this.pos, b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  ids(ids: readonly NodeId[]): void {
    this.uint(ids.length);
    for (const id of ids) this.uint(id);
  }

  entries(entries: readonly Entry[]): void {
    this.uint(entries.length);
    for (const e of entries) {
      this.uint(e.index);
      this.uint(e.term);
      this.u8(e.type);
      this.bytes(e.data);
    }
  }
}

function writeMessage(out: Out, m: Message): void {
  out.u8(MESSAGE_CODES[m.type]);
  out.uint(m.from);
  out.uint(m.to);
  out.uint(m.term);
  switch (m.type) {
    case 'MsgApp':
      out.uint(m.index);
      out.uint(m.logTerm);
      out.uint(m.commit);
      out.entries(m.entries);
      return;
    case 'MsgAppResp':
      out.uint(m.index);
      out.bool(m.reject);
      out.uint(m.rejectHint);
      out.uint(m.logTerm);
      return;
    case 'MsgVote':
    case 'MsgPreVote':
      out.uint(m.index);
      out.uint(m.logTerm);
      out.bool(m.transfer);
      return;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      out.bool(m.reject);
      return;
    case 'MsgHeartbeat':
      out.uint(m.commit);
      out.bytes(m.context);
      return;
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      out.bytes(m.context);
      return;
    case 'MsgSnap': {
      const { meta, data } = m.snapshot;
      out.uint(meta.index);
      out.uint(meta.term);
      out.ids(meta.confState.voters);
      out.ids(meta.confState.learners);
      out.ids(meta.confState.votersOutgoing);
      out.ids(meta.confState.learnersNext);
      out.bool(meta.confState.autoLeave);
      out.bytes(data);
      return;
    }
    case 'MsgTimeoutNow':
    case 'MsgTransferLeader':
      return;
    case 'MsgProp':
      out.entries(m.entries);
      return;
    case 'MsgReadIndexResp':
      out.uint(m.index);
      out.bytes(m.context);
      return;
  }
}

// ---- decoding

/** A reader over a batch body (the frame without its checksum) that raises Corruption for values the format forbids. */
class In {
  readonly r: ByteReader;
  readonly end: number;

  constructor(
    body: Uint8Array,
    readonly source: string,
  ) {
    this.r = new ByteReader(body);
    this.end = body.length;
  }

  bool(): boolean {
    const at = this.r.position;
    const b = this.r.u8();
    if (b > 1) throw new Corruption(this.source, at, `boolean byte ${b}`);
    return b === 1;
  }

  /** A count of items that take at least one byte each. */
  count(): number {
    const at = this.r.position;
    const n = this.r.varint();
    if (n > this.end - this.r.position) throw new Corruption(this.source, at, `count ${n} exceeds the batch`);
    return n;
  }

  ids(): NodeId[] {
    const n = this.count();
    const ids: NodeId[] = [];
    for (let i = 0; i < n; i++) ids.push(this.r.varint());
    return ids;
  }

  entries(): Entry[] {
    const r = this.r;
    const n = this.count();
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const index = r.varint();
      const term = r.varint();
      const at = r.position;
      const type = r.u8();
      if (type > 1) throw new Corruption(this.source, at, `unknown entry type ${type}`);
      entries.push({ index, term, type, data: r.bytes() });
    }
    return entries;
  }

  message(): Message {
    const r = this.r;
    const at = r.position;
    const code = r.u8();
    const type = TYPE_BY_CODE[code];
    if (type === undefined) throw new Corruption(this.source, at, `unknown message type code ${code}`);
    const from = r.varint();
    const to = r.varint();
    const term = r.varint();
    switch (type) {
      case 'MsgApp': {
        const index = r.varint();
        const logTerm = r.varint();
        const commit = r.varint();
        return { type, from, to, term, index, logTerm, commit, entries: this.entries() };
      }
      case 'MsgAppResp': {
        const index = r.varint();
        const reject = this.bool();
        const rejectHint = r.varint();
        return { type, from, to, term, index, reject, rejectHint, logTerm: r.varint() };
      }
      case 'MsgVote':
      case 'MsgPreVote': {
        const index = r.varint();
        const logTerm = r.varint();
        return { type, from, to, term, index, logTerm, transfer: this.bool() };
      }
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        return { type, from, to, term, reject: this.bool() };
      case 'MsgHeartbeat': {
        const commit = r.varint();
        return { type, from, to, term, commit, context: r.bytes() };
      }
      case 'MsgHeartbeatResp':
      case 'MsgReadIndex':
        return { type, from, to, term, context: r.bytes() };
      case 'MsgSnap': {
        const index = r.varint();
        const snapTerm = r.varint();
        const voters = this.ids();
        const learners = this.ids();
        const votersOutgoing = this.ids();
        const learnersNext = this.ids();
        const autoLeave = this.bool();
        const confState = { voters, learners, votersOutgoing, learnersNext, autoLeave };
        return { type, from, to, term, snapshot: { meta: { index, term: snapTerm, confState }, data: r.bytes() } };
      }
      case 'MsgTimeoutNow':
      case 'MsgTransferLeader':
        return { type, from, to, term };
      case 'MsgProp':
        return { type, from, to, term, entries: this.entries() };
      case 'MsgReadIndexResp': {
        const index = r.varint();
        return { type, from, to, term, index, context: r.bytes() };
      }
    }
  }
}

const TYPE_BY_CODE: readonly (Message['type'] | undefined)[] = (() => {
  const table: (Message['type'] | undefined)[] = new Array<Message['type'] | undefined>(256).fill(undefined);
  for (const [type, code] of Object.entries(MESSAGE_CODES) as [Message['type'], number][]) table[code] = type;
  return table;
})();
