import { MemFileSystem, NodeFileSystem } from '@strata/vfs';
import { makeTempDir } from '@strata/vfs/testing';
import { describeCrashRecovery, describeEngine, harness } from '../testing/index.js';
import { MemoryEngine } from './memory-engine.js';

describeEngine(
  { name: 'MemoryEngine', open: (tables) => harness(() => MemoryEngine.open({ tables }), { persistent: false }) },
  { numRuns: 500, persistent: false },
);

describeEngine(
  {
    name: 'MemoryEngine, durable on MemFileSystem (tiny checkpoints)',
    open: (tables) => {
      const fs = new MemFileSystem();
      return harness(() => MemoryEngine.open({ tables, storage: { fs, dir: '/db', checkpointMinBytes: 512 } }), { persistent: true });
    },
  },
  { numRuns: 400, persistent: true },
);

describeEngine(
  {
    name: 'MemoryEngine, durable on NodeFileSystem',
    open: (tables) => {
      const dir = makeTempDir();
      const fs = new NodeFileSystem();
      return harness(() => MemoryEngine.open({ tables, storage: { fs, dir: `${dir.path}/db`, checkpointMinBytes: 4096 } }), {
        persistent: true,
        cleanup: dir.remove,
      });
    },
  },
  { numRuns: 60, persistent: true },
);

describeCrashRecovery(
  {
    name: 'MemoryEngine, durable on MemFileSystem',
    open: (fs, dir, tables) => MemoryEngine.open({ tables, storage: { fs, dir, checkpointMinBytes: 256 } }),
  },
  { numRuns: 2000 },
);
