// Keeps the README's two commands, .ci/run and the pinned pnpm version in
// agreement: the README's first command runs the main job, its second runs
// the tests, and .ci/run runs that second command verbatim.

import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');
const ci = readFileSync(`${root}.ci/run`, 'utf8');
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const pnpm = `pnpm@${pkg.packageManager.split('@')[1]}`;

const main = `npx -y ${pnpm} install --frozen-lockfile && npx -y ${pnpm} start`;
const test = `npx -y ${pnpm} install --frozen-lockfile && npx -y ${pnpm} test`;
const errors = [];
const firstBlocks = [...readme.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1].trim());
if (firstBlocks[0] !== main) errors.push(`README's first command should be:\n    ${main}\n  found:\n    ${firstBlocks[0]}`);
if (firstBlocks[1] !== test) errors.push(`README's second command should be:\n    ${test}\n  found:\n    ${firstBlocks[1]}`);
if (!ci.split('\n').includes(test)) errors.push(`.ci/run must run the README's test command verbatim:\n    ${test}`);
if (!pkg.packageManager.startsWith('pnpm@10.')) errors.push('packageManager must pin pnpm 10 (pnpm 11 needs Node 22)');

if (errors.length > 0) {
  console.error(`command check failed:\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log(`command check: README and .ci/run agree on ${pnpm}`);
