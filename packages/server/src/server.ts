// A Strata member: opens the Raft log (@strata/raftlog) and the state
// machine's LSM (@strata/lsm) under --data-dir, bootstraps or rejoins the
// cluster, and runs the Raft driver, the peer transport, the etcd v3 gRPC
// services and the /metrics + /health endpoint. stop() closes them in the
// reverse order, so every acknowledged write is durable when it resolves.

import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { LsmEngine } from '@strata/lsm';
import { bootstrap, RaftLogStorage, type ConfChange, type Message } from '@strata/raft';
import { RaftLogStore } from '@strata/raftlog';
import { NodeFileSystem } from '@strata/vfs';
import { StateMachine, type Applied } from './apply/state-machine.js';
import { clusterService, type ClusterOps } from './api/cluster-service.js';
import type { ResponseHeader, ServerContext } from './api/context.js';
import { kvService } from './api/kv-service.js';
import { LeaderClient } from './api/leader-client.js';
import { leaseService } from './api/lease-service.js';
import { maintenanceService, type MaintenanceOps } from './api/maintenance-service.js';
import { etcdService } from './api/proto.js';
import { watchService } from './api/watch-service.js';
import { hostPort, type ServerConfig } from './config/options.js';
import { ConfigError, EtcdError } from './errors.js';
import { startHttpServer } from './http/http-server.js';
import { LeaseClock } from './lease/lease-clock.js';
import { LeaseStore } from './lease/lease-store.js';
import type { Logger } from './log.js';
import { clusterId, idHex, memberId, MEMBERS_TABLE, type Member } from './membership/member.js';
import { Membership } from './membership/membership.js';
import { ServerMetrics } from './metrics/metrics.js';
import { MvccStore, STATE_TABLES } from './mvcc/mvcc-store.js';
import { PeerTransport } from './peer/transport.js';
import { encodeCommand, type Command } from './raft/command.js';
import { Proposals } from './raft/proposals.js';
import { RaftNode } from './raft/raft-node.js';
import { WatchHub } from './watch/watch-hub.js';

/** The Raft group of the key space (one group today; raftlog holds many). */
const GROUP = 1;
/** Most lease revokes the leader proposes per check. */
const REVOKES_PER_CHECK = 64;

/** Who this data directory belongs to, written once at bootstrap. */
interface Identity {
  readonly memberId: number;
  readonly clusterId: number;
  readonly name: string;
}

function loadIdentity(path: string): Identity | undefined {
  if (!existsSync(path)) return undefined;
  const v = JSON.parse(readFileSync(path, 'utf8')) as Identity;
  if (typeof v.memberId !== 'number' || typeof v.clusterId !== 'number') throw new ConfigError(`${path} is not a Strata member identity`);
  return v;
}

function saveIdentity(path: string, id: Identity): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(id));
  renameSync(`${path}.tmp`, path);
}

export interface StartOptions {
  /** Collect Node's default process metrics (off in tests that run several servers). */
  readonly processMetrics?: boolean;
}

export class StrataServer implements ServerContext {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly hub: WatchHub;
  readonly memberId: number;
  readonly clusterId: number;
  readonly #engine: LsmEngine;
  readonly #logStore: RaftLogStore;
  readonly #store: MvccStore;
  readonly #leases: LeaseStore;
  readonly #clock: LeaseClock;
  readonly #membership: Membership;
  readonly #proposals: Proposals;
  readonly #raft: RaftNode;
  readonly #transport: PeerTransport;
  readonly #leaderClient = new LeaderClient();
  #grpc: GrpcServer | undefined;
  #http: HttpServer | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopped: Promise<void> | undefined;
  /** The bound client port of each --listen-client-urls entry (port 0 picks one). */
  readonly clientPorts: number[] = [];

  private constructor(p: {
    config: ServerConfig;
    logger: Logger;
    identity: Identity;
    engine: LsmEngine;
    logStore: RaftLogStore;
    storage: RaftLogStorage;
    store: MvccStore;
    leases: LeaseStore;
    clock: LeaseClock;
    membership: Membership;
    transport: PeerTransport;
    hub: WatchHub;
    processMetrics: boolean;
  }) {
    this.config = p.config;
    this.logger = p.logger;
    this.memberId = p.identity.memberId;
    this.clusterId = p.identity.clusterId;
    this.#engine = p.engine;
    this.#logStore = p.logStore;
    this.#store = p.store;
    this.#leases = p.leases;
    this.#clock = p.clock;
    this.#membership = p.membership;
    this.#transport = p.transport;
    this.hub = p.hub;
    this.#proposals = new Proposals();
    this.metrics = new ServerMetrics(
      {
        engineStats: () => this.#engine.stats(),
        raftLogStats: () => this.#logStore.stats(),
        raftStatus: () => {
          const s = this.#raft.status();
          return { term: s.term, leader: s.leader, commit: s.commit, applied: s.applied, isLeader: s.leader === this.memberId };
        },
      },
      p.processMetrics,
    );
    const sm = new StateMachine({
      selfId: this.memberId,
      engine: p.engine,
      store: p.store,
      leases: p.leases,
      clock: p.clock,
      membership: p.membership,
      proposals: this.#proposals,
      onOwnApplied: (ok) => (ok ? this.metrics.proposalsCommitted.inc() : this.metrics.proposalsFailed.inc()),
      onRestored: () => this.metrics.snapshotsInstalled.inc(),
      onExported: () => this.metrics.snapshotsSent.inc(),
    });
    const c = p.config;
    this.#raft = new RaftNode({
      id: this.memberId,
      storage: p.storage,
      logStore: p.logStore,
      target: sm,
      peers: p.transport,
      logger: p.logger.child({ part: 'raft' }),
      heartbeatMs: c.heartbeatInterval,
      electionTicks: Math.max(2, Math.round(c.electionTimeout / c.heartbeatInterval)),
      snapshotCount: c.snapshotCount,
      snapshotCatchupEntries: c.snapshotCatchupEntries,
      fsync: !c.unsafeNoFsync,
      rng: { int: (n) => Math.floor(Math.random() * n) },
      onLeaderChange: (leader, term) => this.#onLeaderChange(leader, term),
      onPersist: (s) => this.metrics.persistSeconds.observe(s),
    });
  }

  static async start(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<StrataServer> {
    const dir = config.dataDir;
    mkdirSync(dir, { recursive: true });
    const fs = new NodeFileSystem();
    const identityPath = `${dir}/member.json`;
    let identity = loadIdentity(identityPath);
    const token = config.initialClusterToken;
    const configured: Member[] = config.initialCluster.map((m) => ({ id: memberId(m.peerUrl, token), name: m.name, peerUrls: [m.peerUrl], clientUrls: [], isLearner: false }));
    const self = configured.find((m) => m.name === config.name);
    if (self === undefined) throw new ConfigError(`--initial-cluster has no member named ${config.name}`);
    const fresh = identity === undefined;
    identity ??= { memberId: self.id, clusterId: clusterId([], token), name: config.name };

    const logStore = await RaftLogStore.open(`${dir}/raftlog`, { fs, createIfMissing: true });
    const engine = await LsmEngine.open({ fs, dir: `${dir}/state`, tables: [...STATE_TABLES, MEMBERS_TABLE], limits: { maxKeySize: 1 << 20, maxValueSize: 64 << 20 } });
    const storage = await RaftLogStorage.open(logStore, GROUP);
    if (fresh && storage.lastIndex() === 0 && config.initialClusterState === 'new') {
      const b = bootstrap(configured.map((m) => m.id));
      await storage.persist({ entries: b.entries, hardState: b.hardState }, { sync: true });
    }
    if (fresh) saveIdentity(identityPath, identity);

    // Parts built later that earlier callbacks reach.
    const late: { transport?: PeerTransport; raft?: RaftNode } = {};
    const membership = new Membership(configured, (members) => {
      for (const m of members) if (m.id !== identity.memberId && m.peerUrls[0] !== undefined) late.transport?.setPeer(m.id, m.peerUrls[0].replace(/^http:\/\//, ''));
    });
    const hub = new WatchHub({
      get currentRevision() {
        return store.currentRevision;
      },
      get compactRevision() {
        return store.compactRevision;
      },
      events: (from, to, key, end) => store.events(from, to, { key, range_end: end, prevKv: true }),
    });
    const store: MvccStore = await MvccStore.open(engine, { onCommit: (rev, events) => hub.commit(rev, events) });
    const leases = await LeaseStore.open(engine);
    const clock = new LeaseClock();
    for (const l of await leases.list()) clock.refresh(l.id, l.ttl);

    const peerListen = hostPort(config.listenPeerUrls[0] ?? '');
    let transport: PeerTransport;
    try {
      transport = await PeerTransport.start({
        clusterId: BigInt(identity.clusterId),
        selfId: identity.memberId,
        listen: `${peerListen.host}:${peerListen.port}`,
        logger: logger.child({ part: 'peer' }),
        onMessage: (m: Message) => late.raft?.step(m),
        onUnreachable: (id: number) => late.raft?.reportUnreachable(id),
        onSnapshotStatus: (id: number, status: 'finish' | 'failure') => late.raft?.reportSnapshot(id, status),
      });
    } catch (e) {
      // A port in use: close the stores so a failed start leaves nothing open.
      await engine.close();
      await logStore.close();
      throw e;
    }
    late.transport = transport;
    for (const m of configured) if (m.id !== identity.memberId) transport.setPeer(m.id, m.peerUrls[0]?.replace(/^http:\/\//, '') ?? '');
    await membership.load(engine);

    const server = new StrataServer({ config, logger, identity, engine, logStore, storage, store, leases, clock, membership, transport, hub, processMetrics: options.processMetrics ?? true });
    late.raft = server.#raft;
    try {
      await server.#listen();
    } catch (e) {
      await server.stop();
      throw e;
    }
    server.#raft.start();
    server.#startTimers();
    logger.info({ member: idHex(identity.memberId), cluster: idHex(identity.clusterId), fresh }, 'strata member started');
    return server;
  }

  get memberIdHex(): string {
    return idHex(this.memberId);
  }

  get raft(): RaftNode {
    return this.#raft;
  }

  header(revision?: number): ResponseHeader {
    return {
      cluster_id: String(this.clusterId),
      member_id: String(this.memberId),
      revision: String(revision ?? this.#store.currentRevision),
      raft_term: String(this.#raft.term),
    };
  }

  propose<T>(cmd: Command): Promise<T> {
    const seq = this.#proposals.next();
    const wait = this.#proposals.wait<T>(seq, this.config.requestTimeout);
    try {
      this.#raft.propose(encodeCommand({ member: this.memberId, seq }, cmd));
    } catch (err) {
      this.#proposals.fail(seq, err instanceof Error ? err : new Error(String(err)));
      this.metrics.proposalsFailed.inc();
    }
    return wait;
  }

  linearizableBarrier(): Promise<void> {
    return this.#raft.linearizableBarrier(this.config.requestTimeout);
  }

  #proposeConfChange(cc: (seq: number) => ConfChange): Promise<Applied<readonly Member[]>> {
    const seq = this.#proposals.next();
    const wait = this.#proposals.wait<Applied<readonly Member[]>>(seq, this.config.requestTimeout);
    try {
      this.#raft.proposeConfChange(cc(seq));
    } catch (err) {
      this.#proposals.fail(seq, err instanceof Error ? err : new Error(String(err)));
    }
    return wait;
  }

  #clusterOps(): ClusterOps {
    const context = (member: Member, seq: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ member, proposer: this.memberId, seq }));
    return {
      members: () => this.#membership.list(),
      addMember: async (peerUrls, isLearner) => {
        const members = this.#membership.list();
        if (members.some((m) => m.peerUrls.some((u) => peerUrls.includes(u)))) throw new EtcdError('PeerURLExist');
        const id = memberId(peerUrls[0] ?? '', this.config.initialClusterToken);
        if (this.#membership.get(id) !== undefined) throw new EtcdError('MemberExist');
        const member: Member = { id, name: '', peerUrls: [...peerUrls], clientUrls: [], isLearner };
        const applied = await this.#proposeConfChange((seq) => ({ transition: 'auto', changes: [{ kind: isLearner ? 'add-learner' : 'add-voter', node: id }], context: context(member, seq) }));
        return { member, members: applied.result };
      },
      removeMember: async (id) => {
        const m = this.#membership.get(id);
        if (m === undefined) throw new EtcdError('MemberNotFound');
        const applied = await this.#proposeConfChange((seq) => ({ transition: 'auto', changes: [{ kind: 'remove', node: id }], context: context(m, seq) }));
        return applied.result;
      },
      promoteMember: async (id) => {
        const m = this.#membership.get(id);
        if (m === undefined) throw new EtcdError('MemberNotFound');
        if (!m.isLearner) throw new EtcdError('MemberNotLearner');
        if (!this.#raft.isLeader) {
          // Only the leader knows how far the learner's log is: ask it.
          const res = await this.#leaderClient.call<{ members: { ID: string }[] }>(this.#leaderAddress(), 'Cluster', 'MemberPromote', { ID: String(id) }, this.config.requestTimeout);
          await this.#raft.waitApplied(this.#raft.status().commit);
          return res.members.map((x) => this.#membership.get(Number(x.ID))).filter((x): x is Member => x !== undefined);
        }
        if (!this.#learnerReady(id)) throw new EtcdError('LearnerNotReady');
        const applied = await this.#proposeConfChange((seq) => ({ transition: 'auto', changes: [{ kind: 'add-voter', node: id }], context: context({ ...m, isLearner: false }, seq) }));
        return applied.result;
      },
    };
  }

  /** The leader's client address (host:port); NoLeader if none is known or it has published none. */
  #leaderAddress(): string {
    const lead = this.#membership.get(this.#raft.leader);
    const url = lead?.clientUrls[0];
    if (url === undefined) throw new EtcdError('NoLeader');
    return url.replace(/^http:\/\//, '');
  }

  /** etcd's rule: a learner may be promoted once its log matches at least 90% of the leader's. */
  #learnerReady(id: number): boolean {
    if (!this.#raft.isLeader) throw new EtcdError('NotLeader');
    const r = this.#raft.status();
    const pr = this.#raft.progressOf(id);
    return pr !== undefined && pr.match >= r.commit * 0.9;
  }

  #maintenanceOps(): MaintenanceOps {
    return {
      status: () => {
        const s = this.#raft.status();
        const st = this.#engine.stats();
        const dbSize = st.levels.reduce((n, l) => n + l.bytes, 0) + st.memtableBytes;
        return { leader: s.leader, term: s.term, commit: s.commit, applied: s.applied, dbSize, isLearner: s.confState.learners.includes(this.memberId) };
      },
      hashKV: async (revision) => {
        const h = await this.#store.hashKV(revision);
        return { hash: h.hash, compactRevision: h.compactRevision, revision: h.revision };
      },
      defragment: () => this.#engine.compactAll(),
      moveLeader: async (target) => {
        if (!this.#raft.isLeader) throw new EtcdError('NotLeader');
        if (this.#membership.get(target) === undefined || this.#membership.get(target)?.isLearner === true) throw new EtcdError('BadLeaderTransferee');
        this.#raft.transferLeader(target);
        const deadline = Date.now() + this.config.requestTimeout;
        while (this.#raft.leader !== target) {
          if (Date.now() > deadline) throw new EtcdError('Timeout');
          await new Promise((r) => setTimeout(r, this.config.heartbeatInterval));
        }
      },
    };
  }

  async #listen(): Promise<void> {
    const c = this.config;
    const grpc = new GrpcServer({ 'grpc.max_receive_message_length': c.maxRequestBytes + 512 * 1024, 'grpc.max_send_message_length': 2 ** 31 - 1 });
    const minTtl = Math.ceil((3 * c.electionTimeout) / 2 / 1000);
    grpc.addService(etcdService('KV'), kvService(this, this.#store, (method, req) => this.#requestSize(method, req)));
    grpc.addService(etcdService('Watch'), watchService(this));
    grpc.addService(etcdService('Lease'), leaseService(this, this.#leases, this.#clock, minTtl));
    grpc.addService(etcdService('Cluster'), clusterService(this, this.#clusterOps()));
    grpc.addService(etcdService('Maintenance'), maintenanceService(this, this.#maintenanceOps()));
    this.#grpc = grpc;
    for (const u of c.listenClientUrls) {
      const { host, port } = hostPort(u);
      const bound = await new Promise<number>((resolve, reject) =>
        grpc.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(new ConfigError(`cannot listen for clients on ${u}: ${err.message}`)) : resolve(p))),
      );
      this.clientPorts.push(bound);
    }
    const m = c.listenMetricsUrls[0];
    if (m !== undefined) {
      const { host, port } = hostPort(m);
      this.#http = await startHttpServer(host, port, {
        registry: this.metrics.registry,
        health: () => {
          const s = this.#raft.status();
          if (s.leader === 0) return { healthy: false, reason: 'RAFT NO LEADER' };
          return { healthy: true, reason: '' };
        },
      });
    }
  }

  #requestSize(method: string, req: unknown): number {
    const def = etcdService('KV')[method];
    return def === undefined ? 0 : def.requestSerialize(req as object).length;
  }

  #startTimers(): void {
    // The leader revokes expired leases through Raft.
    const leaseCheck = setInterval(() => {
      if (!this.#raft.isLeader) return;
      for (const id of this.#clock.takeExpired(REVOKES_PER_CHECK)) {
        this.propose({ kind: 'lease-revoke', req: { ID: String(id) } }).catch((err: unknown) => {
          this.#clock.revokeFailed(id);
          this.logger.debug({ err, lease: String(id) }, 'lease revoke failed; will retry');
        });
      }
    }, 500);
    // Publish this member's name and client URLs once a leader exists and they differ from the record.
    const publish = setInterval(() => {
      const me = this.#membership.get(this.memberId);
      if (this.#raft.leader === 0 || me === undefined) return;
      const urls = this.config.advertiseClientUrls;
      if (me.name === this.config.name && me.clientUrls.join(',') === urls.join(',')) return;
      this.propose({ kind: 'member-attributes', req: { id: String(this.memberId), name: this.config.name, clientUrls: urls } }).catch((err: unknown) => {
        this.logger.debug({ err }, 'publishing member attributes failed; will retry');
      });
    }, 1000);
    leaseCheck.unref();
    publish.unref();
    this.#timers = [leaseCheck, publish];
  }

  #onLeaderChange(leader: number, term: number): void {
    this.metrics.leaderChanges.inc();
    this.logger.info({ leader: idHex(leader), term }, leader === 0 ? 'no leader' : 'leader elected');
    if (leader === this.memberId) this.#clock.promote();
  }

  /** Stops serving, then closes the Raft loop, the transport and the stores (acknowledged writes are durable). */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      for (const t of this.#timers) clearInterval(t);
      const grpc = this.#grpc;
      if (grpc !== undefined) {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => grpc.forceShutdown(), 2000);
          grpc.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
      }
      const http = this.#http;
      if (http !== undefined) await new Promise<void>((resolve) => http.close(() => resolve()));
      await this.#raft.stop();
      this.#proposals.failAll(new EtcdError('Stopped'));
      this.#leaderClient.close();
      await this.#transport.stop();
      await this.#engine.close();
      await this.#logStore.close();
      this.logger.info('strata member stopped');
    })();
    return this.#stopped;
  }
}
