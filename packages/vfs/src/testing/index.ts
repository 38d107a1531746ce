// Test helpers for code built on the vfs seam. Not for production use.

export { describeFileSystem, type FsUnderTest } from './fs-conformance.js';
export { testSeed } from './seed.js';
export { makeTempDir, type TempDir } from './temp-dir.js';
export { readWholeFile, writeWholeFile } from './files.js';
export { interceptFiles, type FileOverrides } from './intercept.js';
