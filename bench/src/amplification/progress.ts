// A progress line for long runs: what each lane is doing (phase, engine, N)
// and an ETA from the work done so far (work is counted in operations,
// weighted by value size). On a terminal it redraws one line; otherwise it
// prints a line every few seconds.

/** What a run reports as it goes. */
export interface Reporter {
  phase(label: string): void;
  tick(units: number): void;
}

export class Progress {
  readonly #total: number;
  readonly #start = performance.now();
  readonly #tty = process.stderr.isTTY;
  readonly #labels: string[];
  #done = 0;
  #last = 0;

  constructor(totalUnits: number, lanes = 1) {
    this.#total = Math.max(1, totalUnits);
    this.#labels = Array.from({ length: lanes }, () => '');
  }

  phase(label: string, lane = 0): void {
    this.#labels[lane] = label;
    this.#print(true);
  }

  tick(units: number): void {
    this.#done += units;
    this.#print(false);
  }

  #print(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#last < (this.#tty ? 250 : 5000)) return;
    this.#last = now;
    const elapsed = (now - this.#start) / 1000;
    const frac = Math.min(1, this.#done / this.#total);
    const eta = frac > 0.01 ? (elapsed / frac) * (1 - frac) : NaN;
    const fmt = (s: number): string => (Number.isFinite(s) ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : '?');
    const line = `[${(100 * frac).toFixed(1).padStart(5)}%] elapsed ${fmt(elapsed)}  ETA ${fmt(eta)}  ${this.#labels.filter((l) => l !== '').join(' | ')}`;
    if (this.#tty) {
      const width = Math.max(40, (process.stderr.columns || 120) - 1);
      process.stderr.write(`\r${line.padEnd(width).slice(0, width)}`);
    } else process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}
