// Constants of the peer wire: the Raft message batch (docs/format/raft-message.md)
// and the peer service's frames (docs/format/peer-stream.md). Everything here
// is part of the format: changing a value needs a new version number.
// Sizes are written as sums of their fields.

/** The first byte of every message batch. Decoders refuse any other value. */
export const RAFT_MESSAGE_VERSION = 1;
/** Seed of the batch checksum (xxHash32 of every byte before it): "SRMB". */
export const BATCH_CHECKSUM_SEED = 0x53524d42;
/** Bytes a batch takes besides its messages' count and messages: version + checksum. */
export const BATCH_OVERHEAD = 1 + 4;

/** Message type codes (the `type:u8` of each message). 0 is never valid. */
export const MESSAGE_CODES = {
  MsgApp: 1,
  MsgAppResp: 2,
  MsgVote: 3,
  MsgPreVote: 4,
  MsgVoteResp: 5,
  MsgPreVoteResp: 6,
  MsgHeartbeat: 7,
  MsgHeartbeatResp: 8,
  MsgSnap: 9,
  MsgTimeoutNow: 10,
  MsgProp: 11,
  MsgReadIndex: 12,
  MsgReadIndexResp: 13,
  MsgTransferLeader: 14,
} as const;

/** The first byte of a hello frame. */
export const HELLO_VERSION = 1;
/** Seed of the hello checksum: "SPHL". */
export const HELLO_CHECKSUM_SEED = 0x5350484c;
/** What a call carries after its hello. */
export const HELLO_KIND = { stream: 1, snapshot: 2 } as const;
/** version + kind + clusterId:u64le + checksum; the from and to varints come on top. */
export const HELLO_FIXED_SIZE = 1 + 1 + 8 + 4;

/** Seed of a snapshot chunk's checksum: "SPSC". */
export const CHUNK_CHECKSUM_SEED = 0x53505343;
export const CHUNK_TRAILER_SIZE = 4;
/** Snapshot data bytes per chunk frame (the last chunk may be shorter). */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

/** The gRPC service: both methods are client-streaming calls of raw frames answered by one empty frame. */
export const SERVICE_NAME = 'strata.peer.Raft';
export const STREAM_PATH = `/${SERVICE_NAME}/Stream`;
export const SNAPSHOT_PATH = `/${SERVICE_NAME}/Snapshot`;

/** The largest gRPC message (frame) either side sends or accepts. A sender splits batches to stay well under it. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** A sender starts a new frame once a batch reaches this many bytes. */
export const TARGET_FRAME_BYTES = 4 * 1024 * 1024;
