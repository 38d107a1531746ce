// The peer gRPC service, defined in code: two client-streaming methods whose
// messages are raw frames (identity serializers, no protobuf), answered by one
// empty frame. Frame contents are peer-frames.ts and raft-message-codec.ts;
// paths and limits are in format.ts. Shared by the peer server and clients.

import type { ChannelOptions, MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { MAX_FRAME_BYTES, SNAPSHOT_PATH, STREAM_PATH } from './format.js';

/** Wraps bytes as a Buffer without copying. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function identity(b: Buffer): Buffer {
  return b;
}

function rawMethod(path: string, originalName: string): MethodDefinition<Uint8Array, Uint8Array> {
  return {
    path,
    originalName,
    requestStream: true,
    responseStream: false,
    requestSerialize: asBuffer,
    requestDeserialize: identity,
    responseSerialize: asBuffer,
    responseDeserialize: identity,
  };
}

export const STREAM_METHOD = rawMethod(STREAM_PATH, 'stream');
export const SNAPSHOT_METHOD = rawMethod(SNAPSHOT_PATH, 'snapshot');

export const PEER_SERVICE: ServiceDefinition = { Stream: STREAM_METHOD, Snapshot: SNAPSHOT_METHOD };

/** The reply to a call that ended well. */
export const EMPTY_REPLY = new Uint8Array(0);

/** Limits both ends of a peer connection use. */
export const FRAME_LIMITS: ChannelOptions = {
  'grpc.max_send_message_length': MAX_FRAME_BYTES,
  'grpc.max_receive_message_length': MAX_FRAME_BYTES,
};
