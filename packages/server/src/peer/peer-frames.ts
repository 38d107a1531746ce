// The peer service's own frames (docs/format/peer-stream.md): the hello that
// opens every call, naming the cluster, the sender and the intended receiver,
// and the checksummed chunks that carry snapshot data. Pure: no I/O. Decoders
// raise Corruption(source, offset); encoders raise InvalidArgument.

import { ByteReader, Corruption, DecodeError, InvalidArgument, putVarint, varintSize, type Checksum } from '@strata/engine';
import type { NodeId } from '@strata/raft';
import { CHUNK_CHECKSUM_SEED, CHUNK_TRAILER_SIZE, HELLO_CHECKSUM_SEED, HELLO_FIXED_SIZE, HELLO_KIND, HELLO_VERSION } from './format.js';

export type CallKind = keyof typeof HELLO_KIND;

export interface Hello {
  readonly kind: CallKind;
  /** Invariant: 0 <= clusterId < 2^64. */
  readonly clusterId: bigint;
  readonly from: NodeId;
  readonly to: NodeId;
}

const U64_LIMIT = 1n << 64n;

export function checkClusterId(id: bigint): void {
  if (typeof id !== 'bigint' || id < 0n || id >= U64_LIMIT) throw new InvalidArgument(`cluster id must be a bigint in [0, 2^64), got ${String(id)}`);
}

export function checkNodeId(id: number, what: string): void {
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidArgument(`${what} must be a positive safe integer, got ${String(id)}`);
}

export function encodeHello(h: Hello, checksum: Checksum): Uint8Array {
  checkClusterId(h.clusterId);
  checkNodeId(h.from, 'hello sender');
  checkNodeId(h.to, 'hello receiver');
  const size = HELLO_FIXED_SIZE + varintSize(h.from) + varintSize(h.to);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = HELLO_VERSION;
  buf[1] = HELLO_KIND[h.kind];
  buf.writeBigUInt64LE(h.clusterId, 2);
  let pos = putVarint(buf, 1 + 1 + 8, h.from);
  pos = putVarint(buf, pos, h.to);
  buf.writeUInt32LE(checksum.xxh32(buf.subarray(0, pos), HELLO_CHECKSUM_SEED), pos);
  return buf;
}

export function decodeHello(frame: Uint8Array, checksum: Checksum, source = 'peer hello'): Hello {
  if (frame.length < HELLO_FIXED_SIZE + 2) throw new Corruption(source, 0, `hello of ${frame.length} bytes is too short`);
  if (frame[0] !== HELLO_VERSION) throw new Corruption(source, 0, `unknown hello version ${String(frame[0])}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const sumAt = frame.length - 4;
  const want = view.getUint32(sumAt, true);
  const got = checksum.xxh32(frame.subarray(0, sumAt), HELLO_CHECKSUM_SEED);
  if (want !== got) throw new Corruption(source, sumAt, `hello checksum mismatch (stored ${want}, computed ${got})`);
  const kind = frame[1] === HELLO_KIND.stream ? 'stream' : frame[1] === HELLO_KIND.snapshot ? 'snapshot' : undefined;
  if (kind === undefined) throw new Corruption(source, 1, `unknown call kind ${String(frame[1])}`);
  const clusterId = view.getBigUint64(2, true);
  const r = new ByteReader(frame.subarray(0, sumAt));
  try {
    r.raw(1 + 1 + 8);
    const from = r.varint();
    const to = r.varint();
    r.expectEnd();
    if (from < 1 || to < 1) throw new Corruption(source, 1 + 1 + 8, 'node id 0 in hello');
    return { kind, clusterId, from, to };
  } catch (err) {
    if (err instanceof DecodeError) throw new Corruption(source, err.position, err.message);
    throw err;
  }
}

/** One chunk frame: `data` followed by its checksum (one copy of data). */
export function encodeChunk(data: Uint8Array, checksum: Checksum): Uint8Array {
  const buf = Buffer.allocUnsafe(data.length + CHUNK_TRAILER_SIZE);
  buf.set(data, 0);
  buf.writeUInt32LE(checksum.xxh32(data, CHUNK_CHECKSUM_SEED), data.length);
  return buf;
}

/** The data of a chunk frame, as a view into it. */
export function decodeChunk(frame: Uint8Array, checksum: Checksum, source = 'snapshot chunk'): Uint8Array {
  if (frame.length < CHUNK_TRAILER_SIZE) throw new Corruption(source, 0, `chunk of ${frame.length} bytes is too short`);
  const dataEnd = frame.length - CHUNK_TRAILER_SIZE;
  const data = new Uint8Array(frame.buffer, frame.byteOffset, dataEnd);
  const want = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(dataEnd, true);
  const got = checksum.xxh32(data, CHUNK_CHECKSUM_SEED);
  if (want !== got) throw new Corruption(source, dataEnd, `chunk checksum mismatch (stored ${want}, computed ${got})`);
  return data;
}
