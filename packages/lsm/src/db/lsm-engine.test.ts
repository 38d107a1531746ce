import { MemFileSystem, type FileSystem } from '@strata/vfs';
import { describeCrashRecovery, describeEngine, harness } from '@strata/engine/testing';
import type { StorageEngine } from '@strata/engine';
import { LsmEngine } from './lsm-engine.js';
import type { LsmOptions } from './options.js';

/** Tiny sizes so a few dozen writes already flush and compact. */
const tiny: Partial<LsmOptions> = {
  writeBufferSize: 1024,
  targetFileSize: 1024,
  blockSize: 256,
  l0CompactionTrigger: 2,
  l0SlowdownTrigger: 8,
  l0StopTrigger: 12,
};

const configs: { name: string; options: Partial<LsmOptions> }[] = [
  { name: 'defaults', options: {} },
  { name: 'leveled k=4, tiny', options: { ...tiny, compaction: { style: 'leveled', fanout: 4, levelBaseBytes: 4096 } } },
  { name: 'tiered, tiny', options: { ...tiny, compaction: { style: 'tiered' } } },
];

for (const { name, options } of configs) {
  describeEngine(
    {
      name: `LsmEngine (${name}) on MemFileSystem`,
      open: (tables) => {
        const fs = new MemFileSystem();
        return harness(() => LsmEngine.open({ ...options, tables, fs, dir: '/db' }), { persistent: true });
      },
    },
    { numRuns: name === 'defaults' ? 500 : 200, persistent: true },
  );
}

async function maintain(engine: StorageEngine): Promise<void> {
  const e = engine as LsmEngine;
  await e.flush();
  await e.waitForCompactions();
}

describeCrashRecovery(
  {
    name: 'LsmEngine (leveled, tiny)',
    open: (fs: FileSystem, dir, tables) => LsmEngine.open({ ...tiny, compaction: { style: 'leveled', fanout: 4, levelBaseBytes: 2048 }, tables, fs, dir }),
    maintain,
  },
  { numRuns: 2000 },
);

describeCrashRecovery(
  {
    name: 'LsmEngine (tiered, tiny)',
    open: (fs: FileSystem, dir, tables) => LsmEngine.open({ ...tiny, compaction: { style: 'tiered' }, tables, fs, dir }),
    maintain,
  },
  { numRuns: 2000 },
);
