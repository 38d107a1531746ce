// A progress line for long runs: phase, engine, N and an ETA from the work
// done so far (work is counted in operations, weighted by value size). On a
// terminal it redraws one line; otherwise it prints a line every few seconds.

export class Progress {
  readonly #total: number;
  readonly #start = performance.now();
  readonly #tty = process.stderr.isTTY;
  #done = 0;
  #last = 0;
  #label = '';

  constructor(totalUnits: number) {
    this.#total = Math.max(1, totalUnits);
  }

  phase(label: string): void {
    this.#label = label;
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
    const line = `[${(100 * frac).toFixed(1).padStart(5)}%] ${this.#label}  elapsed ${fmt(elapsed)}  ETA ${fmt(eta)}`;
    if (this.#tty) process.stderr.write(`\r${line.padEnd(110).slice(0, 110)}`);
    else process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}
