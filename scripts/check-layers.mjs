// Keeps the layers honest. Each workspace package belongs to a layer; a
// package may depend only on packages of lower layers. This checks, for
// every package, that (1) its @strata dependencies in package.json are all
// lower, (2) its tsconfig project references are exactly those
// dependencies, and (3) its sources import no @strata package it does not
// declare. The layer map mirrors docs/ARCHITECTURE.md.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Lowest layer first. Packages in the same layer may not depend on each other. */
const LAYERS = [
  ['vfs'],
  ['engine'],
  ['lsm', 'btree', 'raftlog'],
  ['raft'],
  ['txn'],
  ['server'],
  ['bench', 'examples', 'test'],
];

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function packageDirs() {
  const dirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));
  for (const extra of ['bench', 'examples', 'test']) {
    try {
      if (statSync(join(root, extra, 'package.json')).isFile()) dirs.push(join(root, extra));
    } catch {
      // not present yet
    }
  }
  return dirs;
}

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const errors = [];
for (const dir of packageDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const name = pkg.name.replace(/^@strata\//, '');
  const layer = layerOf.get(name);
  if (layer === undefined) {
    errors.push(`${pkg.name}: not in the layer map (scripts/check-layers.mjs and docs/ARCHITECTURE.md)`);
    continue;
  }
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((d) => d.startsWith('@strata/'))
    .map((d) => d.replace(/^@strata\//, ''));
  for (const dep of deps) {
    const depLayer = layerOf.get(dep);
    if (depLayer === undefined || depLayer >= layer) {
      errors.push(`${pkg.name} depends on @strata/${dep}, which is not in a lower layer`);
    }
  }
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  const refs = (tsconfig.references ?? []).map((r) => r.path.split('/').filter((s) => s !== '..' && s !== 'packages').join('/'));
  const want = [...deps].sort();
  if (JSON.stringify([...refs].sort()) !== JSON.stringify(want)) {
    errors.push(`${pkg.name}: tsconfig references [${refs.sort()}] differ from its @strata dependencies [${want}]`);
  }
  for (const file of sourceFiles(join(dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+'@strata\/([a-z-]+)(?:\/[a-z-]+)?'/g)) {
      if (!deps.includes(m[1])) errors.push(`${relative(root, file)} imports @strata/${m[1]}, which ${pkg.name} does not declare`);
    }
  }
}

if (errors.length > 0) {
  console.error(`layer check failed:\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: every package depends only on lower layers');
