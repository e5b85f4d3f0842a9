/** Where a progress bar draws: a terminal when `isTTY`, else nothing is drawn (the logs tell the story). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/**
 * A one-line progress bar for long work (the bootstrap): `label [#####.....]  45%  450 000 / 1 000 000
 * 211 000/s  ETA 3 s`, redrawn at most every `intervalMs` on a terminal and left alone when the stream
 * is not one (structured logs cover that case). `total` is an estimate: the bar holds at 99 % until `done`.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** The line for `done` of `total` units (exposed for tests and logs). */
  line(done: number, total: number): string {
    const frac = total > 0 ? Math.min(0.99, done / total) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = Math.max(0.001, (this.now() - this.started) / 1000);
    const rate = done / secs;
    const eta = rate > 0 && total > done ? Math.ceil((total - done) / rate) : 0;
    const n = (x: number) => Math.round(x).toLocaleString("en-US").replaceAll(",", " ");
    return (
      `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%` +
      `  ${n(done)} / ~${n(total)}  ${n(rate)}/s  ETA ${eta} s`
    );
  }

  update(done: number, total: number): void {
    if (!this.stream.isTTY) return;
    const t = this.now();
    if (this.drawn && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.drawn = true;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${this.line(done, total).slice(0, cols - 1)}\x1b[K`);
  }

  /** Ends the bar with a summary line (on a terminal). */
  finish(summary: string): void {
    if (!this.stream.isTTY) return;
    this.stream.write(`\r${this.label}: ${summary}\x1b[K\n`);
  }
}
