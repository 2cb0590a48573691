// Progress on long work: a redrawn bar with rate and ETA on a terminal, a
// plain line every few seconds otherwise (logs, CI), nothing with --quiet.
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function createProgress(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { update() {}, finish() {} };
  const start = performance.now();
  let lastDraw = 0;
  let lastDone = 0;
  let lastTotal = 0;
  const tty = stream.isTTY === true;
  const draw = (final: boolean) => {
    const elapsed = (performance.now() - start) / 1000;
    const rate = elapsed > 0 ? lastDone / elapsed : 0;
    const frac = lastTotal > 0 ? Math.min(1, lastDone / lastTotal) : 0;
    const eta = rate > 0 && lastTotal > lastDone ? (lastTotal - lastDone) / rate : 0;
    const text = `${label} ${fmtCount(lastDone, unit)}/${fmtCount(lastTotal, unit)} ${fmtRate(rate, unit)} ${final ? `in ${fmtTime(elapsed)}` : `ETA ${fmtTime(eta)}`}`;
    if (tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      stream.write(`\r${"█".repeat(filled)}${"░".repeat(width - filled)} ${(frac * 100).toFixed(0).padStart(3)}% ${text}\x1b[K${final ? "\n" : ""}`);
    } else {
      stream.write(`${text}\n`);
    }
  };
  return {
    update(done, total) {
      lastDone = done;
      lastTotal = total;
      const now = performance.now();
      if (now - lastDraw >= (tty ? 100 : 5000)) {
        lastDraw = now;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}

function fmtCount(n: number, unit: string): string {
  if (unit === "B") return fmtBytes(n);
  return `${n}`;
}

function fmtRate(r: number, unit: string): string {
  if (unit === "B") return `${fmtBytes(r)}/s`;
  return `${r.toFixed(0)} ${unit}/s`;
}

export function fmtBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtTime(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}
