import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { loadConfig, parseFlags } from './load.js';

const flags = (...argv: string[]): Map<string, string> => parseFlags(argv).flags;

test('no flags give the embedded defaults of a single member', () => {
  const c = loadConfig(new Map(), {});
  assert.equal(c.name, 'default');
  assert.equal(c.dataDir, './data');
  assert.deepEqual(c.listenClientUrls, ['http://127.0.0.1:2379']);
  assert.deepEqual(c.listenMetricsUrls, ['http://127.0.0.1:2381']);
  assert.deepEqual(c.initialCluster, [{ name: 'default', peerUrl: 'http://127.0.0.1:2380' }]);
});

test('flags win over the environment, which wins over the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'name: from-file\ndata-dir: /tmp/file\nsnapshot-count: 5\nlisten-client-urls:\n  - http://127.0.0.1:3000\n');
  const c = loadConfig(flags('--config-file', file, '--data-dir=/tmp/flag', '--initial-cluster', 'from-env=http://127.0.0.1:2380'), { STRATA_NAME: 'from-env', STRATA_DATA_DIR: '/tmp/env' });
  assert.equal(c.name, 'from-env');
  assert.equal(c.dataDir, '/tmp/flag');
  assert.equal(c.snapshotCount, 5);
  assert.deepEqual(c.listenClientUrls, ['http://127.0.0.1:3000']);
  assert.deepEqual(c.advertiseClientUrls, ['http://127.0.0.1:3000'], 'advertise follows listen when unset');
});

test('a JSON config file works too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ 'heartbeat-interval': 50, 'election-timeout': 500 }));
  const c = loadConfig(flags(`--config-file=${file}`), {});
  assert.equal(c.heartbeatInterval, 50);
  assert.equal(c.electionTimeout, 500);
});

test('bad input is a ConfigError that names the flag', () => {
  assert.throws(() => loadConfig(flags('--nope', '1'), {}), (e: unknown) => e instanceof ConfigError && /--nope/.test(e.message));
  assert.throws(() => loadConfig(flags('--listen-client-urls', 'localhost'), {}), (e: unknown) => e instanceof ConfigError && /listen-client-urls/.test(e.message));
  assert.throws(() => loadConfig(flags('--snapshot-count', '-1'), {}), /snapshot-count/);
  assert.throws(() => loadConfig(flags('--heartbeat-interval', '500'), {}), /election-timeout/);
  assert.throws(() => loadConfig(flags('--name', 'a', '--initial-cluster', 'b=http://127.0.0.1:2380'), {}), /no member named "a"/);
  assert.throws(() => loadConfig(flags('--data-dir'), {}), /needs a value/);
  assert.throws(() => loadConfig(flags('--config-file', '/nonexistent/strata.yaml'), {}), /cannot read/);
});
