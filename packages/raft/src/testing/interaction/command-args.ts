// A script command line split into its name, positional arguments and
// key=value options (a value may be a list: `voters=(1,2,3)`). Accessors
// check types and throw ScriptArgError naming the argument; an argument or
// option the handler did not read makes done() throw, so a typo fails loudly.

import type { NodeId } from '../../types.js';

export class ScriptArgError extends Error {
  override get name(): string {
    return 'ScriptArgError';
  }
}

export class CommandArgs {
  readonly name: string;
  readonly positional: readonly string[];
  readonly #options = new Map<string, string>();
  readonly #read = new Set<string>();
  /** Positional arguments [0, #used) were read; done() refuses extra ones. */
  #used = 0;

  constructor(line: string) {
    const [name, ...rest] = line.trim().split(/\s+/);
    if (name === undefined || name === '') throw new ScriptArgError('empty command');
    this.name = name;
    const positional: string[] = [];
    for (const tok of rest) {
      const eq = tok.indexOf('=');
      if (eq > 0) {
        const key = tok.slice(0, eq);
        if (this.#options.has(key)) throw new ScriptArgError(`option ${key} given twice`);
        this.#options.set(key, tok.slice(eq + 1));
      } else positional.push(tok);
    }
    this.positional = positional;
  }

  /** The positional arguments as node ids (at least `min` of them). */
  ids(min = 1): NodeId[] {
    if (this.positional.length < min) throw new ScriptArgError(`${this.name} needs at least ${min} node id(s)`);
    return this.rest(0).map((p) => toInt(p, 'node id'));
  }

  /** The positional arguments as comma-separated groups of node ids: `1,2 3`. */
  groups(): NodeId[][] {
    return this.rest(0).map((g) => g.split(',').map((s) => toInt(s, 'node id')));
  }

  /** Positional argument `i` (0-based). */
  arg(i: number, what: string): string {
    const v = this.positional[i];
    if (v === undefined) throw new ScriptArgError(`${this.name}: missing ${what} (argument ${i + 1})`);
    this.#used = Math.max(this.#used, i + 1);
    return v;
  }

  /** The positional arguments from `i` on. */
  rest(i: number): readonly string[] {
    this.#used = Math.max(this.#used, this.positional.length);
    return this.positional.slice(i);
  }

  int(i: number, what: string): number {
    return toInt(this.arg(i, what), what);
  }

  option(key: string): string | undefined {
    this.#read.add(key);
    return this.#options.get(key);
  }

  intOption(key: string): number | undefined {
    const v = this.option(key);
    return v === undefined ? undefined : toInt(v, key);
  }

  boolOption(key: string): boolean | undefined {
    const v = this.option(key);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new ScriptArgError(`${key} must be true or false, got ${v}`);
    return v === 'true';
  }

  /** `key=(1,2,3)` or `key=3`; undefined if absent. */
  idsOption(key: string): NodeId[] | undefined {
    const v = this.option(key);
    if (v === undefined) return undefined;
    const inner = v.startsWith('(') && v.endsWith(')') ? v.slice(1, -1) : v;
    return inner === '' ? [] : inner.split(',').map((s) => toInt(s.trim(), key));
  }

  /** Throws if an argument or option was given that no accessor asked for. */
  done(): void {
    if (this.positional.length > this.#used) throw new ScriptArgError(`${this.name}: unexpected argument '${String(this.positional[this.#used])}'`);
    for (const key of this.#options.keys()) if (!this.#read.has(key)) throw new ScriptArgError(`${this.name}: unknown option ${key}`);
  }
}

function toInt(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw new ScriptArgError(`${what} must be a non-negative integer, got '${s}'`);
  return n;
}
