// Entry point of the background worker thread: runs flush and compaction
// jobs on the real filesystem, off the engine's event loop, so merging,
// compression and filter building use the second core. It only reads input
// tables (or a packed memtable) and writes new ones; the engine thread
// records the result in the manifest.
// One job at a time, in the order received.

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Corruption, IoError, loadChecksum } from '@strata/engine';
import { NodeFileSystem } from '@strata/vfs';
import { BlockCache } from '../../sstable/block-cache.js';
import { newReadCounters } from '../../stats/read-stats.js';
import { TableCache } from '../../table-cache/table-cache.js';
import type { FileNum } from '../../version/filenames.js';
import { runCompaction } from '../compaction-job.js';
import { flushFrozen } from './flush-frozen.js';
import { Yielder } from '../yielder.js';
import type { CompactionResponse, JobRequest, WorkerError } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('compaction-worker.js must run in a worker thread');
// Lower this thread's priority if asked (compaction-thread.ts). Only on Linux,
// which applies it to the calling thread alone: elsewhere setPriority() acts
// on the whole process, the engine thread and the application included.
const nice = (workerData as { nice?: unknown } | null)?.nice;
if (process.platform === 'linux' && typeof nice === 'number' && nice > 0) {
  try {
    setPriority(nice);
  } catch {
    // Not permitted here: a priority hint, not a requirement.
  }
}
const fs = new NodeFileSystem();
const checksum = await loadChecksum();

class OutOfNumbers extends Error {}

function describe(err: unknown): WorkerError {
  if (err instanceof OutOfNumbers) return { code: 'OutOfFileNumbers', message: err.message };
  if (err instanceof Corruption) return { code: 'Corruption', message: err.message, file: err.file, offset: err.offset };
  if (err instanceof IoError) return { code: 'IoError', message: err.message };
  return { code: 'Other', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: JobRequest) => {
  queue = queue.then(async () => {
    const tableCache = new TableCache(fs, req.dir, 1000, { checksum, blockCache: new BlockCache(0), counters: newReadCounters() });
    let next = 0;
    let response: CompactionResponse;
    try {
      const deps = {
        output: {
          fs,
          dir: req.dir,
          checksum,
          table: req.table,
          targetFileSize: req.targetFileSize,
          newFileNumber: () => {
            const n = req.fileNumbers[next++];
            if (n === undefined) throw new OutOfNumbers('the compaction ran out of reserved file numbers');
            return n as FileNum;
          },
        },
        tableCache,
        snapshots: req.snapshots,
        // Nothing else runs on this thread: no need to yield.
        yielder: new Yielder(Infinity),
      };
      const result =
        req.kind === 'flush' ? await flushFrozen(req.entries, req.tombstones, deps) : await runCompaction(req.spec, deps);
      response = { id: req.id, ok: true, result };
    } catch (err) {
      response = { id: req.id, ok: false, error: describe(err) };
    } finally {
      tableCache.close();
    }
    port.postMessage(response);
  });
});
