// A cluster of Strata members as child processes (`strata serve`) on
// loopback, for tests that need a real crash: kill() sends SIGKILL, so
// nothing is flushed or closed, and restart() starts the member again on
// the same data directory and ports. Members' stderr is kept for failures.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export interface ProcessMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly dataDir: string;
}

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Every member process still running, killed when the test process exits however it ends. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

export class ProcessCluster {
  readonly members: ProcessMember[];
  readonly #procs: (ChildProcess | undefined)[];
  readonly #extra: readonly string[];
  readonly logs: string[][];

  private constructor(members: ProcessMember[], extra: readonly string[]) {
    this.members = members;
    this.#procs = members.map(() => undefined);
    this.logs = members.map(() => []);
    this.#extra = extra;
  }

  /** Starts `n` members (with `extra` flags for each) and waits until each answers /health. */
  static async start(n: number, dir: string, extra: readonly string[] = []): Promise<ProcessCluster> {
    const members: ProcessMember[] = [];
    for (let i = 0; i < n; i++) members.push({ name: `s${i + 1}`, clientPort: await freePort(), peerPort: await freePort(), metricsPort: await freePort(), dataDir: `${dir}/s${i + 1}` });
    const c = new ProcessCluster(members, extra);
    try {
      for (let i = 0; i < n; i++) c.#spawn(i, 'new');
      await c.waitHealthy();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  #flags(i: number, state: 'new' | 'existing', cluster: readonly ProcessMember[]): string[] {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    return [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peerPort}`,
      `--listen-metrics-urls=http://127.0.0.1:${m.metricsPort}`,
      `--initial-cluster=${cluster.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',')}`,
      `--initial-cluster-state=${state}`,
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--log-level=warn',
      ...this.#extra,
    ];
  }

  #spawn(i: number, state: 'new' | 'existing', cluster: readonly ProcessMember[] = this.members): void {
    const p = spawn(process.execPath, [MAIN, 'serve', ...this.#flags(i, state, cluster)], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (b: Buffer) => this.logs[i]?.push(b.toString()));
    this.#procs[i] = p;
    live.add(p);
    p.once('exit', () => live.delete(p));
  }

  /** Adds a member that joins an existing cluster (after MemberAdd named its peer URL). */
  async join(dir: string): Promise<number> {
    const m: ProcessMember = { name: `s${this.members.length + 1}`, clientPort: await freePort(), peerPort: await freePort(), metricsPort: await freePort(), dataDir: `${dir}/s${this.members.length + 1}` };
    this.members.push(m);
    this.#procs.push(undefined);
    this.logs.push([]);
    return this.members.length - 1;
  }

  startJoined(i: number): void {
    this.#spawn(i, 'existing');
  }

  kill(i: number): Promise<void> {
    const p = this.#procs[i];
    this.#procs[i] = undefined;
    if (p === undefined || exited(p)) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  restart(i: number): void {
    this.#spawn(i, 'new');
  }

  running(i: number): boolean {
    return this.#procs[i] !== undefined;
  }

  endpoint(i: number): string {
    return `127.0.0.1:${this.members[i]?.clientPort ?? 0}`;
  }

  endpoints(): string {
    return this.members.map((_, i) => i).filter((i) => this.running(i)).map((i) => this.endpoint(i)).join(',');
  }

  /** Waits until every running member reports healthy (a leader known). */
  async waitHealthy(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < this.members.length; i++) {
      if (!this.running(i)) continue;
      for (;;) {
        try {
          const r = await fetch(`http://127.0.0.1:${this.members[i]?.metricsPort ?? 0}/health`);
          if (r.ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`member ${i} not healthy within ${timeoutMs} ms:\n${this.logs[i]?.join('') ?? ''}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p === undefined || exited(p)) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    this.#procs.fill(undefined);
  }
}
