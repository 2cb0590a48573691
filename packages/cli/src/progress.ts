// Progress on long work, from the first second. Before any unit is done, a
// line says what is happening (reading masks, finding cells, N cells
// planned); once units flow, a bar with the rate, and an ETA only once the
// rate can be trusted (>= 2 s of flow and >= 1% done: the first cells wait
// for the workers and the first band of the slide). On a terminal one line is
// redrawn; elsewhere (logs, CI) plain timestamped lines, a few at most every
// 5 s. Nothing with --quiet or --json.
export interface Progress {
  /** What is being done now, before units flow (or between phases); `frac` in [0, 1] when known. */
  stage(text: string, frac?: number): void;
  /** Units done of total. */
  update(done: number, total: number): void;
  /** The work is complete: a last line with the time. */
  finish(): void;
  /** Stops redrawing without a last line (on an error). */
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  quiet?: boolean;
  /** Now, in ms (tests). */
  now?: () => number;
  /** Wall-clock time for the log lines (tests). */
  clock?: () => Date;
  /** Interval of plain lines in logs (default 5000 ms). */
  logEveryMs?: number;
}

/** The rate is trusted for an ETA after this long of flow and this fraction done. */
export const ETA_MIN_SECONDS = 2;
export const ETA_MIN_FRACTION = 0.01;

export function createProgress(label: string, unit: string, options: ProgressOptions = {}): Progress {
  if (options.quiet) return { stage() {}, update() {}, finish() {}, stop() {} };
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? (() => new Date());
  const logEvery = options.logEveryMs ?? 5000;
  const tty = stream.isTTY === true;
  const start = now();
  let flowStart = -1; // when the first unit was done
  let done = 0;
  let total = 0;
  let stageText = "";
  let stageFrac: number | undefined;
  let lastLog = -Infinity;
  let lastLogText = "";
  let lastDraw = -Infinity;
  let ticker: NodeJS.Timeout | null = null;

  const elapsed = () => (now() - start) / 1000;
  const flowText = (final: boolean): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const flowS = flowStart < 0 ? 0 : (now() - flowStart) / 1000;
    const rate = flowS > 0 ? done / flowS : 0;
    let tail = "";
    if (final) tail = `, done in ${fmtTime(elapsed())}`;
    else if (flowS >= ETA_MIN_SECONDS && frac >= ETA_MIN_FRACTION && rate > 0) tail = `, ETA ${fmtTime((total - done) / rate)}`;
    const rateText = flowS >= 0.5 && !final ? `, ${fmtRate(rate, unit)}` : "";
    return `${label}: ${fmtCount(done, unit)} of ${fmtCount(total, unit)}${unit === "B" ? "" : ` ${unit}`} (${(frac * 100).toFixed(0)}%)${rateText}${tail}`;
  };
  const stageLine = () => `${label}: ${stageText}${stageFrac !== undefined ? ` (${(stageFrac * 100).toFixed(0)}%)` : ""}`;
  const draw = (final = false) => {
    lastDraw = now();
    if (tty) {
      let text: string;
      if (flowStart < 0) text = `${stageLine()} ${fmtTime(elapsed())}`;
      else {
        const frac = total > 0 ? Math.min(1, done / total) : 0;
        const width = 24;
        const filled = Math.round(frac * width);
        text = `${"█".repeat(filled)}${"░".repeat(width - filled)} ${flowText(final)}`;
      }
      stream.write(`\r${text}\x1b[K${final ? "\n" : ""}`);
    } else {
      const text = flowStart < 0 ? stageLine() : flowText(final);
      if (text === lastLogText && !final) return;
      lastLog = now();
      lastLogText = text;
      stream.write(`${stamp(clock())} ${text}\n`);
    }
  };
  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = null;
  };
  if (tty) {
    // The elapsed time moves even while a phase reports nothing.
    ticker = setInterval(() => draw(), 250);
    ticker.unref();
  }
  return {
    stage(text, frac) {
      const changed = text !== stageText;
      stageText = text;
      stageFrac = frac;
      if (flowStart >= 0) return;
      if (tty ? now() - lastDraw >= 100 || changed : changed || now() - lastLog >= logEvery) draw();
    },
    update(d, t) {
      done = d;
      total = t;
      if (flowStart < 0 && d > 0) {
        flowStart = now();
        draw();
        return;
      }
      if (now() - (tty ? lastDraw : lastLog) >= (tty ? 100 : logEvery)) draw();
    },
    finish() {
      stopTicker();
      if (flowStart < 0) flowStart = now();
      draw(true);
    },
    stop() {
      stopTicker();
      if (tty && lastDraw > -Infinity) stream.write("\n");
    },
  };
}

/** Local time as a log line starts: 2025-01-31 14:05:09. */
export function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
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
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return `${m} min ${Math.round(s - 60 * m)} s`;
  }
  const h = Math.floor(s / 3600);
  return `${h} h ${Math.round((s - 3600 * h) / 60)} min`;
}
