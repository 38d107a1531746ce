// `strata cluster --nodes N`: N members on loopback, each its own child
// process running `strata serve`, with etcd's local port convention (member
// i listens for clients on i·10000+2379, peers on +1, metrics on +2; member
// 1 on 2379). Signals are passed on; the command ends when every member has.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

export interface LocalMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

/** The members of a local cluster of `n`, with ports from `base` (2379: etcd's convention). */
export function localMembers(n: number, base = 2379): LocalMember[] {
  return Array.from({ length: n }, (_, i) => {
    const client = i === 0 ? base : i * 10000 + base;
    return { name: `s${i + 1}`, clientPort: client, peerPort: client + 1, metricsPort: client + 2 };
  });
}

/** `strata serve` flags for member `m` of `members`. */
export function memberFlags(m: LocalMember, members: readonly LocalMember[], dataDir: string, logLevel: string): string[] {
  const cluster = members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
  return [
    `--name=${m.name}`,
    `--data-dir=${dataDir}/${m.name}`,
    `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
    `--listen-peer-urls=http://127.0.0.1:${m.peerPort}`,
    `--listen-metrics-urls=http://127.0.0.1:${m.metricsPort}`,
    `--initial-cluster=${cluster}`,
    '--initial-cluster-state=new',
    `--log-level=${logLevel}`,
  ];
}

export async function runCluster(flags: ReadonlyMap<string, string>): Promise<void> {
  const n = Number(flags.get('nodes') ?? '3');
  if (!Number.isSafeInteger(n) || n < 1 || n > 7) throw new ConfigError('--nodes must be an integer from 1 to 7');
  for (const k of flags.keys()) if (!['nodes', 'data-dir', 'log-level'].includes(k)) throw new ConfigError(`strata cluster: unknown flag --${k}`);
  const dataDir = flags.get('data-dir') ?? './data-cluster';
  const logLevel = flags.get('log-level') ?? 'info';
  const members = localMembers(n);
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const children: ChildProcess[] = members.map((m) =>
    spawn(process.execPath, [main, 'serve', ...memberFlags(m, members, dataDir, logLevel)], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const endpoints = members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  process.stdout.write(`strata cluster: ${n} members (${members.map((m) => m.name).join(', ')}), data in ${dataDir}\n  try: etcdctl --endpoints=${endpoints} endpoint status -w table\n  stop with Ctrl-C\n`);
  const forward = (signal: NodeJS.Signals): void => {
    for (const c of children) c.kill(signal);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  const codes = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.on('exit', (code) => resolve(code ?? 1)))));
  process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
}
