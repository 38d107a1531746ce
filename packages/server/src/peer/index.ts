// The peer transport between server nodes (Raft messages over gRPC; formats in
// docs/format/raft-message.md and peer-stream.md): named re-exports only.

export { PeerTransport } from './transport.js';
export type { PeerLogger, PeerTransportOptions, SnapshotStatus } from './options.js';
export { batchSize, decodeMessageBatch, encodeMessageBatch, messageSize } from './raft-message-codec.js';
