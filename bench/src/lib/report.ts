// Where benchmarks put their results: bench/results/<name>.json (every
// figure, plus the machine it ran on) and <name>.md (a short table for the
// README to link). Figures in one file come from one run, side by side.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';

export const RESULTS_DIR = new URL('../../results/', import.meta.url).pathname;

export interface Environment {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
}

export function environment(): Environment {
  const cpu = cpus()[0];
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
  };
}

/** Writes `<name>.json` and `<name>.md` under bench/results/ (or `dir`) and returns their paths. */
export function writeResults(name: string, json: unknown, markdown: string, dir = RESULTS_DIR): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  const mdPath = join(dir, `${name}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(mdPath, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return { json: jsonPath, md: mdPath };
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Microseconds with sensible precision. */
export function us(ms: number): string {
  const v = ms * 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
