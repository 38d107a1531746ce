import { MemFileSystem, type FileSystem } from '@strata/vfs';
import { describeCrashRecovery, describeEngine, harness } from '@strata/engine/testing';
import { BtreeEngine } from './btree-engine.js';
import type { BtreeOptions } from './options.js';

const configs: { name: string; options: Partial<BtreeOptions>; runs: number }[] = [
  { name: '4 KiB pages', options: {}, runs: 500 },
  // 1 KiB pages and a tiny cache: a few dozen writes already split, merge and spill values to overflow runs.
  { name: '1 KiB pages, 4 KiB cache', options: { pageSize: 1024, cacheBytes: 4096 }, runs: 300 },
];

for (const { name, options, runs } of configs) {
  describeEngine(
    {
      name: `BtreeEngine (${name}) on MemFileSystem`,
      open: (tables) => {
        const fs = new MemFileSystem();
        return harness(() => BtreeEngine.open({ ...options, tables, fs, dir: '/db' }), { persistent: true });
      },
    },
    { numRuns: runs, persistent: true },
  );
}

describeCrashRecovery(
  {
    name: 'BtreeEngine (1 KiB pages, sync every 2 KiB)',
    open: (fs: FileSystem, dir, tables) => BtreeEngine.open({ pageSize: 1024, cacheBytes: 4096, syncEveryBytes: 2048, tables, fs, dir }),
  },
  { numRuns: 2000 },
);
