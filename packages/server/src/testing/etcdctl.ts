// Runs Debian's etcdctl (v3 API) against test endpoints. `hasEtcdctl()`
// tells tests whether it is installed (bash .ci/run installs etcd-client).

import { execFile, spawnSync } from 'node:child_process';

export function hasEtcdctl(): boolean {
  return spawnSync('etcdctl', ['version'], { env: { ...process.env, ETCDCTL_API: '3' } }).status === 0;
}

export interface EtcdctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs etcdctl with `args` against `endpoints`; never throws for a non-zero exit (callers assert on it). */
export function etcdctl(endpoints: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<EtcdctlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'etcdctl',
      [`--endpoints=${endpoints}`, '--command-timeout=10s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
