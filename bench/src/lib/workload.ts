// Pieces the db_bench-shaped benchmarks share: command-line flags, the
// 16-byte key format and the 100-byte half-compressible values.

import type { Rng } from '@strata/vfs';

/** The value after `name` on the command line, if given; a flag without a value is an error. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

/** True if `name` is on the command line. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(name);
}

/** Key `n` as db_bench-style 16 zero-padded decimal digits. */
export function key16(n: number): Uint8Array {
  const out = new Uint8Array(16);
  const s = String(n).padStart(16, '0');
  for (let i = 0; i < 16; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `count` 100-byte values, half random and half zeros: compressible 2:1, like db_bench's default. */
export function halfCompressibleValues(rng: Rng, count: number): Uint8Array[] {
  return Array.from({ length: count }, () => {
    const v = new Uint8Array(100);
    v.set(rng.bytes(50));
    return v;
  });
}
