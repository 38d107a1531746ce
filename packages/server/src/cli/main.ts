#!/usr/bin/env node
// The `strata` command: `serve` runs one member (embedded defaults: data in
// ./data, clients on 127.0.0.1:2379, peers on 2380, /metrics and /health on
// 2381); `cluster --nodes N` runs N members on loopback as child processes
// for demos and tests. Configuration errors print and exit 2; SIGINT and
// SIGTERM shut down gracefully.

import { ConfigError } from '../errors.js';
import { configHelp, loadConfig, parseFlags } from '../config/load.js';
import { createLogger } from '../log.js';
import { StrataServer } from '../server.js';
import { runCluster } from './cluster.js';

const USAGE = `usage: strata <command> [flags]

commands:
  serve               run one member (defaults: ./data, 127.0.0.1:2379/2380/2381)
  cluster --nodes N   run N members on loopback (clients on 2379, 22379, 32379, ...)
  help                this text

serve flags:
${configHelp()}

cluster flags:
  --nodes N           members to run (default 3)
  --data-dir DIR      parent of the members' data directories (default ./data-cluster)
  --log-level LEVEL   passed to every member (default info)
`;

async function serve(flags: ReadonlyMap<string, string>): Promise<void> {
  const config = loadConfig(flags);
  const logger = createLogger(config.logLevel, { name: config.name });
  const server = await StrataServer.start(config, logger);
  const client = config.advertiseClientUrls.map((u) => u.replace(/^http:\/\//, '')).join(',');
  const metrics = config.listenMetricsUrls[0] ?? '';
  process.stdout.write(
    [
      `strata member ${config.name} (id ${server.memberIdHex}) serving the etcd v3 API on ${config.listenClientUrls.join(',')}`,
      `  try:    etcdctl --endpoints=${client} put foo bar && etcdctl --endpoints=${client} get foo`,
      `  status: etcdctl --endpoints=${client} endpoint status -w table`,
      `  metrics ${metrics}/metrics   health ${metrics}/health   data ${config.dataDir}`,
      '  stop with Ctrl-C',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  const { flags, rest: positional } = parseFlags(command.startsWith('--') ? argv : rest);
  if (flags.has('help')) {
    process.stdout.write(USAGE);
    return;
  }
  if (positional.length > 0) throw new ConfigError(`unexpected argument ${positional[0] ?? ''}`);
  if (command === 'serve' || command.startsWith('--')) await serve(flags);
  else if (command === 'cluster') await runCluster(flags);
  else throw new ConfigError(`unknown command ${command}\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`strata: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`strata: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
