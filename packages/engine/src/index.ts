// @strata/engine: the storage API every Strata engine implements, its
// errors and argument checks, the in-memory engine, and the record framing
// engines share for their logs.

export type {
  EngineLimits,
  Entry,
  ReadView,
  ScanOptions,
  Snapshot,
  StorageEngine,
  WriteOp,
  WriteOptions,
} from './storage-engine.js';
export {
  Closed,
  Corruption,
  EngineError,
  InvalidArgument,
  IoError,
  isEngineError,
  TableNotFound,
  type EngineErrorCode,
} from './errors.js';
export { bytesEqual, compareBytes, copyBytes, copyBytesVia, copyOut, prefixEnd, toHex } from './bytes.js';
export {
  checkKey,
  checkKeys,
  checkTable,
  checkTableNames,
  checkValue,
  checkWriteBatch,
  checkWriteOptions,
  copyWriteOp,
  resolveScanRange,
  type ScanRange,
} from './validate.js';
export { loadChecksum, type Checksum } from './checksum.js';
export { DecompressError, LZ4_SIZE_PREFIX, lz4Decompress, lz4IfSmaller } from './lz4.js';
export { io, ioAsync, readWholeFile, type ReadBuffer } from './io.js';
export { ByteReader, ByteWriter, DecodeError, putVarint, varintSize } from './codec.js';
export { encodeFrame, sealFrame } from './record-log/frame.js';
export { checkFrame, frameLength, scanFrames, type Frame, type FrameScan, type LogTail } from './record-log/scan.js';
export { HEADER_SIZE as RECORD_HEADER_SIZE, MAX_PAYLOAD as RECORD_MAX_PAYLOAD } from './record-log/format.js';
export {
  DEFAULT_MEMORY_LIMITS,
  MemoryEngine,
  type MemoryEngineOptions,
  type MemoryStorageOptions,
} from './memory/memory-engine.js';
