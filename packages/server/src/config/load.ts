// Reads the configuration from its sources, later ones winning: defaults, a
// YAML or JSON file (--config-file, keys named like the flags), STRATA_*
// environment variables (STRATA_DATA_DIR for --data-dir), then flags
// (--data-dir x or --data-dir=x). Unknown flags, keys and bad values are
// ConfigError; a field left unset follows the ones it depends on, as in etcd.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { checkConfig, defaultConfig, FIELDS, type ServerConfig } from './options.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const BY_FLAG = new Map(FIELDS.map((f) => [f.flag, f]));

function envName(flag: string): string {
  return `STRATA_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** Flags as flag → raw value, plus positional arguments. */
export function parseFlags(argv: readonly string[]): { flags: Map<string, string>; rest: string[] } {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a.slice(2) : a.slice(2, eq);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (flag === 'unsafe-no-fsync' || flag === 'help') value = '';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`--${flag} needs a value`);
      value = next;
      i++;
    }
    flags.set(flag, value);
  }
  return { flags, rest };
}

function readConfigFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --config-file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--config-file ${path} is not YAML or JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`--config-file ${path} must hold a mapping of flag names to values`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(doc)) {
    if (Array.isArray(v)) out.set(k, v.map(String).join(','));
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.set(k, String(v));
    else throw new ConfigError(`--config-file ${path}: key ${k} must be a string, number, boolean or list`);
  }
  return out;
}

/**
 * The configuration from flags, environment and an optional file. `env`
 * defaults to process.env; flags other than the config's own (such as a
 * command's) are passed in `extraFlags` to be left alone.
 */
export function loadConfig(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv = process.env, extraFlags: readonly string[] = []): ServerConfig {
  const raw = new Map<string, string>();
  const file = flags.get('config-file') ?? env.STRATA_CONFIG_FILE;
  if (file !== undefined) {
    for (const [k, v] of readConfigFile(file)) {
      if (!BY_FLAG.has(k)) throw new ConfigError(`--config-file ${file}: unknown key ${k}`);
      raw.set(k, v);
    }
  }
  for (const f of FIELDS) {
    const v = env[envName(f.flag)];
    if (v !== undefined) raw.set(f.flag, v);
  }
  for (const [k, v] of flags) {
    if (k === 'config-file' || extraFlags.includes(k)) continue;
    if (!BY_FLAG.has(k)) throw new ConfigError(`unknown flag --${k} (see strata --help)`);
    raw.set(k, v);
  }

  const parsed = new Map<string, unknown>();
  for (const [k, v] of raw) {
    const f = BY_FLAG.get(k);
    if (f !== undefined) parsed.set(f.key, f.parse(v, f.flag));
  }
  const name = (parsed.get('name') as string | undefined) ?? 'default';
  const c: Mutable<ServerConfig> = { ...defaultConfig(name) };
  for (const [k, v] of parsed) Object.assign(c, { [k]: v });
  // Fields that follow others when unset, as etcd's do.
  if (!parsed.has('initialAdvertisePeerUrls') && parsed.has('listenPeerUrls')) c.initialAdvertisePeerUrls = c.listenPeerUrls;
  if (!parsed.has('advertiseClientUrls') && parsed.has('listenClientUrls')) c.advertiseClientUrls = c.listenClientUrls;
  if (!parsed.has('initialCluster')) c.initialCluster = [{ name, peerUrl: c.initialAdvertisePeerUrls[0] ?? '' }];
  return checkConfig(c);
}

export function configHelp(): string {
  const lines = FIELDS.map((f) => `  --${f.flag.padEnd(30)} ${f.help} (env ${envName(f.flag)})`);
  return [...lines, `  --${'config-file'.padEnd(30)} YAML or JSON file of flag names to values (env STRATA_CONFIG_FILE)`].join('\n');
}
