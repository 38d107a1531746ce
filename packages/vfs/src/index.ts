// @strata/vfs: the environment seam. Engines reach the disk, the clock and
// randomness only through what is exported here.

export type { CreateOptions, File, FileLock, FileStat, FileSystem, OpenOptions } from './file-system.js';
export {
  AlreadyExists,
  HandleClosed,
  isVfsError,
  LockHeld,
  NotFound,
  OsError,
  VfsError,
  type VfsErrorCode,
} from './errors.js';
export { NodeFileSystem } from './node/node-file-system.js';
export { MemFileSystem, type CrashOptions } from './mem/mem-file-system.js';
export {
  FaultFileSystem,
  type FaultHandle,
  type FaultRule,
  type FsOp,
  type InjectedFault,
} from './fault/fault-file-system.js';
export { AccountingFileSystem, type AccountingOptions } from './accounting/accounting-file-system.js';
export { defaultClassifier, type Classifier } from './accounting/classify.js';
export {
  diffCounters,
  IoStats,
  zeroCounters,
  type IoCategory,
  type IoCounters,
  type IoSnapshot,
} from './accounting/io-stats.js';
export { Rng, randomSeed } from './rng.js';
export { ManualClock, SystemClock, type Clock } from './clock.js';
