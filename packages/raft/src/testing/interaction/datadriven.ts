// Scenario scripts in etcd's datadriven format: a command line, a line
// `----`, the expected output up to the first blank line (or, for output
// that holds blank lines, between `----`/`----` fences). Lines starting with
// `#` and blank lines between cases are comments, kept verbatim on rewrite.
// Pure text in, text out: the caller reads and writes the files.

/** One command of a script and what it is expected to print. */
export interface ScriptCase {
  /** 1-based line of the command in the file. */
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

type Piece = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'case'; readonly c: ScriptCase };

export interface ScriptRun {
  /** The first case whose output differs, with what it printed. */
  readonly mismatch: { readonly c: ScriptCase; readonly actual: string } | undefined;
  /** The script with every expected block replaced by the actual output. */
  readonly rewritten: string;
}

const SEP = '----';

/** A malformed script; message names file and line. */
export class ScriptSyntaxError extends Error {
  override get name(): string {
    return 'ScriptSyntaxError';
  }
}

function parse(name: string, text: string): Piece[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const pieces: Piece[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      pieces.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    const at = i + 1;
    if (lines[i + 1] !== SEP) throw new ScriptSyntaxError(`${name}:${at}: expected '${SEP}' after the command '${line}'`);
    i += 2;
    const out: string[] = [];
    if (lines[i] === SEP) {
      // Fenced output: may hold blank lines; ends at `----` `----`.
      i++;
      while (i < lines.length && !(lines[i] === SEP && lines[i + 1] === SEP)) out.push(lines[i++] as string);
      if (i >= lines.length) throw new ScriptSyntaxError(`${name}:${at}: fenced output is not closed by '${SEP}' '${SEP}'`);
      i += 2;
    } else {
      while (i < lines.length && (lines[i] as string).trim() !== '') out.push(lines[i++] as string);
    }
    pieces.push({ kind: 'case', c: { line: at, command: line.trim(), expected: out.join('\n') } });
  }
  return pieces;
}

/** The cases of a script, in order. */
export function parseScript(name: string, text: string): ScriptCase[] {
  const out: ScriptCase[] = [];
  for (const p of parse(name, text)) if (p.kind === 'case') out.push(p.c);
  return out;
}

function renderCase(command: string, output: string): string {
  const fenced = output.split('\n').some((l) => l.trim() === '');
  return fenced && output !== '' ? `${command}\n${SEP}\n${SEP}\n${output}\n${SEP}\n${SEP}` : `${command}\n${SEP}\n${output}`;
}

/**
 * Runs every case through `handle` in order. An error thrown by `handle` is
 * rethrown naming file, line and command (scripts print expected errors as
 * output; a throw is a bug or a script mistake).
 */
export function runScript(name: string, text: string, handle: (command: string) => string): ScriptRun {
  const pieces = parse(name, text);
  let mismatch: ScriptRun['mismatch'];
  const out: string[] = [];
  for (const p of pieces) {
    if (p.kind === 'text') {
      out.push(p.text);
      continue;
    }
    let actual: string;
    try {
      actual = handle(p.c.command);
    } catch (err) {
      throw new Error(`${name}:${p.c.line}: ${p.c.command}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    }
    if (mismatch === undefined && actual !== p.c.expected) mismatch = { c: p.c, actual };
    out.push(renderCase(p.c.command, actual));
  }
  return { mismatch, rewritten: `${out.join('\n')}\n` };
}
