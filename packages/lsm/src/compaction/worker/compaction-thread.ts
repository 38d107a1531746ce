// The engine's handle on its background worker thread (compaction-worker.ts):
// starts it lazily, sends one request per job and maps the reply back to a
// JobResult or an engine error. close() terminates the thread; a job in
// flight then rejects with Aborted-like Closed, and its partial outputs stay
// unreferenced until the next open removes them.

import { Worker } from 'node:worker_threads';
import { Closed, Corruption, IoError } from '@strata/engine';
import type { JobResult } from '../compaction-job.js';
import type { CompactionResponse, JobRequest } from './protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The worker's job needed more output files than it was given numbers for. */
export class OutOfFileNumbers extends Error {}

export class CompactionThread {
  /** Niceness the thread gives itself (Linux applies it per thread); 0 leaves it alone. */
  readonly #nice: number;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: JobResult) => void; reject: (e: unknown) => void }>();
  #closed = false;

  /**
   * A thread that lowers its own CPU priority to `nice` (0 to 19) once
   * started (on Linux, where that is per thread; elsewhere it runs at normal
   * priority), as RocksDB lowers its compaction pool's: on a machine with fewer
   * cores than busy threads, the engine thread and flushes (which unblock
   * writers) then win the CPU, and compaction takes what is left.
   */
  constructor(nice = 0) {
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`nice must be an integer in [0, 19], got ${nice}`);
    this.#nice = nice;
  }

  /**
   * Starts the thread now rather than at the first job: loading the worker's
   * modules and wasm takes ~300 ms here, which the first flush would
   * otherwise wait for while writers stall behind it.
   */
  warm(): void {
    if (!this.#closed) this.#start();
  }

  run(request: DistributiveOmit<JobRequest, 'id'>): Promise<JobResult> {
    if (this.#closed) return Promise.reject(new Closed());
    const worker = this.#start();
    const id = this.#nextId++;
    const message = { ...request, id } as JobRequest;
    // A flush's ref list moves to the worker; its arena chunks are shared memory.
    const transfer = message.kind === 'flush' ? [message.entries.refs.buffer] : [];
    return new Promise<JobResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(message, transfer as ArrayBuffer[]);
    });
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL('./compaction-worker.js', import.meta.url), { workerData: { nice: this.#nice } });
    worker.unref();
    worker.on('message', (msg: CompactionResponse) => {
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      if (msg.ok) {
        p.resolve(msg.result);
        return;
      }
      const e = msg.error;
      if (e.code === 'Corruption') p.reject(new Corruption(e.file ?? '?', e.offset ?? 0, e.message));
      else if (e.code === 'OutOfFileNumbers') p.reject(new OutOfFileNumbers(e.message));
      else p.reject(new IoError(`compaction worker: ${e.message}`, e));
    });
    const fail = (err: unknown): void => {
      for (const p of this.#pending.values()) p.reject(this.#closed ? new Closed() : new IoError(`compaction worker failed: ${String(err)}`, err));
      this.#pending.clear();
      this.#worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.#pending.size > 0) fail(new Error(`worker exited with code ${code}`));
      this.#worker = undefined;
    });
    this.#worker = worker;
    return worker;
  }

  /** True while a job is in flight. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) await w.terminate();
    for (const p of this.#pending.values()) p.reject(new Closed());
    this.#pending.clear();
  }
}
