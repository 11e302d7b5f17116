/** Training progress: a bar on a terminal, a plain line every ~10% (and at the end) otherwise. */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly t0 = performance.now();
  private lastPlain = -1;

  constructor(private readonly totalUpdates: number, private readonly totalSteps: number) {}

  update(update: number, steps: number, sps: number | undefined, evalReturn: number | undefined): void {
    const frac = update / this.totalUpdates;
    const elapsed = (performance.now() - this.t0) / 1000;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : 0;
    const text = `${steps}/${this.totalSteps} steps  update ${update}/${this.totalUpdates}  SPS ${sps ? Math.round(sps) : '-'}  ETA ${formatSeconds(eta)}  eval ${evalReturn === undefined ? '-' : evalReturn.toFixed(1)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastPlain) {
        this.lastPlain = decile;
        process.stderr.write(`${text}\n`);
      }
    }
  }

  finish(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60)}s` : `${Math.round(s)}s`;
}
