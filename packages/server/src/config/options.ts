// The server's configuration: one record with etcd's names (as flags,
// STRATA_* environment variables or config-file keys), its defaults, and
// the checks that turn a bad value into a ConfigError. load.ts reads the
// sources; this file only knows the fields.

import { ConfigError } from '../errors.js';

export interface ClusterMember {
  readonly name: string;
  readonly peerUrl: string;
}

export interface ServerConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  /** /metrics and /health. */
  readonly listenMetricsUrls: readonly string[];
  readonly initialCluster: readonly ClusterMember[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly heartbeatInterval: number;
  readonly electionTimeout: number;
  /** Applied entries between Raft snapshots (log compaction). */
  readonly snapshotCount: number;
  /** Log entries kept behind a snapshot so slow followers catch up without one. */
  readonly snapshotCatchupEntries: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /** Time a proposal may wait for its entry to apply before Timeout, in ms. */
  readonly requestTimeout: number;
  /** ms between progress notifications to watches that asked for them (etcd: 10 minutes). */
  readonly watchProgressNotifyInterval: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** fdatasync the Raft log for every Ready that needs it (turn off only for throwaway tests). */
  readonly unsafeNoFsync: boolean;
}

/** One field's flag name (etcd's where etcd has one) and parser. */
interface Field {
  readonly key: keyof ServerConfig;
  readonly flag: string;
  readonly parse: (raw: string, flag: string) => unknown;
  readonly help: string;
}

function url(raw: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`--${flag}: "${raw}" is not a URL (expected http://host:port)`);
  }
  if (u.protocol !== 'http:') throw new ConfigError(`--${flag}: only http:// URLs are supported, got "${raw}"`);
  if (u.port === '') throw new ConfigError(`--${flag}: "${raw}" needs a port`);
  return `http://${u.host}`;
}

const urls = (raw: string, flag: string): string[] => {
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError(`--${flag} needs at least one URL`);
  return list.map((s) => url(s, flag));
};

function int(min: number, max: number) {
  return (raw: string, flag: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`--${flag} must be an integer in [${min}, ${max}], got "${raw}"`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string, flag: string): T => {
    const v = values.find((x) => x === raw);
    if (v === undefined) throw new ConfigError(`--${flag} must be one of ${values.join(', ')}, got "${raw}"`);
    return v;
  };
}

function bool(raw: string, flag: string): boolean {
  if (raw === 'true' || raw === '1' || raw === '') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`--${flag} must be true or false, got "${raw}"`);
}

function nonEmpty(raw: string, flag: string): string {
  if (raw.trim() === '') throw new ConfigError(`--${flag} must not be empty`);
  return raw;
}

function initialCluster(raw: string, flag: string): ClusterMember[] {
  const out: ClusterMember[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--${flag}: "${part}" is not name=http://host:port`);
    out.push({ name: part.slice(0, eq), peerUrl: url(part.slice(eq + 1), flag) });
  }
  if (out.length === 0) throw new ConfigError(`--${flag} lists no member`);
  const names = new Set(out.map((m) => m.name));
  if (names.size !== out.length) throw new ConfigError(`--${flag} names a member twice`);
  return out;
}

export const FIELDS: readonly Field[] = [
  { key: 'name', flag: 'name', parse: nonEmpty, help: 'human-readable name of this member' },
  { key: 'dataDir', flag: 'data-dir', parse: nonEmpty, help: 'directory for the Raft log and the state machine' },
  { key: 'listenClientUrls', flag: 'listen-client-urls', parse: urls, help: 'URLs to serve the etcd v3 gRPC API on' },
  { key: 'advertiseClientUrls', flag: 'advertise-client-urls', parse: urls, help: 'client URLs to advertise to the cluster' },
  { key: 'listenPeerUrls', flag: 'listen-peer-urls', parse: urls, help: 'URLs to serve Raft peer traffic on' },
  { key: 'initialAdvertisePeerUrls', flag: 'initial-advertise-peer-urls', parse: urls, help: 'peer URLs to advertise to the cluster' },
  { key: 'listenMetricsUrls', flag: 'listen-metrics-urls', parse: urls, help: 'URLs to serve /metrics and /health on' },
  { key: 'initialCluster', flag: 'initial-cluster', parse: initialCluster, help: 'initial members: name=http://host:port,...' },
  { key: 'initialClusterState', flag: 'initial-cluster-state', parse: oneOf(['new', 'existing'] as const), help: "'new' to bootstrap, 'existing' to join" },
  { key: 'initialClusterToken', flag: 'initial-cluster-token', parse: nonEmpty, help: 'token that makes the cluster id unique' },
  { key: 'heartbeatInterval', flag: 'heartbeat-interval', parse: int(10, 10_000), help: 'ms between leader heartbeats (one Raft tick)' },
  { key: 'electionTimeout', flag: 'election-timeout', parse: int(50, 60_000), help: 'ms without a leader before an election' },
  { key: 'snapshotCount', flag: 'snapshot-count', parse: int(1, 1e9), help: 'applied entries between Raft snapshots' },
  { key: 'snapshotCatchupEntries', flag: 'snapshot-catchup-entries', parse: int(0, 1e9), help: 'entries kept behind a snapshot for slow followers' },
  { key: 'maxRequestBytes', flag: 'max-request-bytes', parse: int(1024, 64 << 20), help: 'largest client request accepted' },
  { key: 'maxTxnOps', flag: 'max-txn-ops', parse: int(1, 1e6), help: 'most operations in one Txn' },
  { key: 'requestTimeout', flag: 'request-timeout', parse: int(100, 600_000), help: 'ms a write may wait to be applied' },
  { key: 'watchProgressNotifyInterval', flag: 'watch-progress-notify-interval', parse: int(100, 86_400_000), help: 'ms between watch progress notifications' },
  { key: 'logLevel', flag: 'log-level', parse: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const), help: 'log level' },
  { key: 'unsafeNoFsync', flag: 'unsafe-no-fsync', parse: bool, help: 'skip fdatasync (data loss on power failure)' },
];

export function defaultConfig(name = 'default'): ServerConfig {
  const peer = 'http://127.0.0.1:2380';
  return {
    name,
    dataDir: './data',
    listenClientUrls: ['http://127.0.0.1:2379'],
    advertiseClientUrls: ['http://127.0.0.1:2379'],
    listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer],
    listenMetricsUrls: ['http://127.0.0.1:2381'],
    initialCluster: [{ name, peerUrl: peer }],
    initialClusterState: 'new',
    initialClusterToken: 'strata-cluster',
    heartbeatInterval: 100,
    electionTimeout: 1000,
    snapshotCount: 10_000,
    snapshotCatchupEntries: 5_000,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxTxnOps: 128,
    requestTimeout: 7_000,
    watchProgressNotifyInterval: 600_000,
    logLevel: 'info',
    unsafeNoFsync: false,
  };
}

/** Cross-field checks, after every source is merged. */
export function checkConfig(c: ServerConfig): ServerConfig {
  if (c.electionTimeout < 5 * c.heartbeatInterval) {
    throw new ConfigError(`--election-timeout (${c.electionTimeout} ms) must be at least 5 × --heartbeat-interval (${c.heartbeatInterval} ms)`);
  }
  const self = c.initialCluster.find((m) => m.name === c.name);
  if (self === undefined) throw new ConfigError(`--initial-cluster has no member named "${c.name}" (--name)`);
  if (!c.initialAdvertisePeerUrls.includes(self.peerUrl)) {
    throw new ConfigError(`--initial-cluster gives ${c.name} the peer URL ${self.peerUrl}, but --initial-advertise-peer-urls is ${c.initialAdvertisePeerUrls.join(',')}`);
  }
  return c;
}

/** host:port of an http URL (config URLs are checked to have both). */
export function hostPort(u: string): { host: string; port: number } {
  const p = new URL(u);
  return { host: p.hostname, port: Number(p.port) };
}
