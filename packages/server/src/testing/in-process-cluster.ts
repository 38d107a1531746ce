// An in-process cluster of Strata members on loopback for tests: free
// ports, one data directory per member under `dir`, quiet logs, short Raft
// timers. Members can be stopped and restarted on the same directory and
// ports; waitLeader() waits until every running member agrees on one.

import { defaultConfig, type ServerConfig } from '../config/options.js';
import { createLogger } from '../log.js';
import { StrataServer } from '../server.js';
import { freePort } from './ports.js';

export interface TestMemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

export class TestCluster {
  readonly specs: TestMemberSpec[];
  readonly members: (StrataServer | undefined)[];
  readonly #dir: string;
  readonly #overrides: Partial<ServerConfig>;

  private constructor(dir: string, specs: TestMemberSpec[], overrides: Partial<ServerConfig>) {
    this.#dir = dir;
    this.specs = specs;
    this.members = specs.map(() => undefined);
    this.#overrides = overrides;
  }

  static async start(n: number, dir: string, overrides: Partial<ServerConfig> = {}): Promise<TestCluster> {
    const specs: TestMemberSpec[] = [];
    for (let i = 0; i < n; i++) specs.push({ name: `s${i + 1}`, clientPort: await freePort(), peerPort: await freePort(), metricsPort: await freePort() });
    const c = new TestCluster(dir, specs, overrides);
    try {
      // Settle every start before judging, so none finishes after the cleanup below.
      const started = await Promise.allSettled(specs.map((_, i) => c.startMember(i)));
      const failed = started.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      await c.waitLeader();
    } catch (e) {
      // Leave nothing listening behind: a half-started cluster would keep the test process alive.
      await c.stop().catch(() => undefined);
      throw e;
    }
    return c;
  }

  config(i: number): ServerConfig {
    const s = this.specs[i];
    if (s === undefined) throw new Error(`no member ${i}`);
    const peer = `http://127.0.0.1:${s.peerPort}`;
    return {
      ...defaultConfig(s.name),
      dataDir: `${this.#dir}/${s.name}`,
      listenClientUrls: [`http://127.0.0.1:${s.clientPort}`],
      advertiseClientUrls: [`http://127.0.0.1:${s.clientPort}`],
      listenPeerUrls: [peer],
      initialAdvertisePeerUrls: [peer],
      listenMetricsUrls: [`http://127.0.0.1:${s.metricsPort}`],
      initialCluster: this.specs.map((x) => ({ name: x.name, peerUrl: `http://127.0.0.1:${x.peerPort}` })),
      heartbeatInterval: 50,
      electionTimeout: 500,
      logLevel: 'silent',
      ...this.#overrides,
    };
  }

  async startMember(i: number): Promise<StrataServer> {
    const config = this.config(i);
    const s = await StrataServer.start(config, createLogger(config.logLevel, { name: config.name }), { processMetrics: false });
    this.members[i] = s;
    return s;
  }

  async stopMember(i: number): Promise<void> {
    const s = this.members[i];
    this.members[i] = undefined;
    await s?.stop();
  }

  /** host:port client endpoints of the running members (etcdctl --endpoints). */
  endpoints(): string {
    return this.specs.filter((_, i) => this.members[i] !== undefined).map((s) => `127.0.0.1:${s.clientPort}`).join(',');
  }

  /** Index of the member every running member names as leader; waits up to `timeoutMs`. */
  async waitLeader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.members.filter((m): m is StrataServer => m !== undefined);
      const leaders = new Set(running.map((m) => m.raft.leader));
      const [lead] = leaders;
      if (leaders.size === 1 && lead !== undefined && lead !== 0) {
        const i = this.members.findIndex((m) => m?.memberId === lead);
        if (i >= 0) return i;
      }
      if (Date.now() > deadline) throw new Error(`no agreed leader within ${timeoutMs} ms: ${[...leaders].join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.stopMember(i)));
  }
}
