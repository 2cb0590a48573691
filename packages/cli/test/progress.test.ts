// What the progress says, on a terminal and in a log, with a fake clock.
import { describe, expect, it } from "vitest";
import { createProgress } from "../src/progress.js";

function sink(tty: boolean) {
  const out: string[] = [];
  const stream = { isTTY: tty, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
  return { out, stream };
}

describe("progress", () => {
  it("logs: timestamped lines from the first stage; a line at the first cell; an ETA only after 2 s and 1%", () => {
    let t = 0;
    const { out, stream } = sink(false);
    const p = createProgress("extract", "cells", { stream, now: () => t, clock: () => new Date(2025, 0, 31, 14, 5, 9), logEveryMs: 1000 });
    p.stage("opening a.tif");
    t = 10;
    p.stage("finding cells in m.tif", 0);
    t = 20;
    p.stage("finding cells in m.tif", 0.5); // same text within the interval: no new line
    t = 3000;
    p.stage("7000 cells planned");
    p.update(32, 7000); // the first cells: a line at once, no rate, no ETA
    t = 4500;
    p.update(40, 7000); // 1.5 s of flow: no ETA yet
    t = 6000;
    p.update(60, 7000); // 3 s of flow but under 1%: no ETA
    t = 8000;
    p.update(700, 7000); // 5 s of flow, 10%: ETA from the rate since the first cells
    p.finish();
    expect(out).toEqual([
      "2025-01-31 14:05:09 extract: opening a.tif\n",
      "2025-01-31 14:05:09 extract: finding cells in m.tif (0%)\n",
      "2025-01-31 14:05:09 extract: 7000 cells planned\n",
      "2025-01-31 14:05:09 extract: 32 of 7000 cells (0%)\n",
      "2025-01-31 14:05:09 extract: 40 of 7000 cells (1%), 27 cells/s\n",
      "2025-01-31 14:05:09 extract: 60 of 7000 cells (1%), 20 cells/s\n",
      "2025-01-31 14:05:09 extract: 700 of 7000 cells (10%), 140 cells/s, ETA 45.0 s\n",
      "2025-01-31 14:05:09 extract: 700 of 7000 cells (10%), done in 8.0 s\n",
    ]);
  });

  it("terminal: one redrawn line, the bar once cells flow, a newline at the end", () => {
    let t = 0;
    const { out, stream } = sink(true);
    const p = createProgress("convert", "B", { stream, now: () => t });
    p.stage("reading the layout of x.h5sc");
    t = 200;
    p.update(500_000, 1_000_000);
    t = 3000;
    p.update(900_000, 1_000_000);
    p.finish();
    expect(out[0]).toBe("\rconvert: reading the layout of x.h5sc 0.0 s\x1b[K");
    expect(out[1]).toBe(`\r${"█".repeat(12)}${"░".repeat(12)} convert: 500.0 kB of 1.0 MB (50%)\x1b[K`);
    expect(out[2]).toMatch(/ETA 0\.3 s/);
    expect(out.at(-1)?.endsWith("done in 3.0 s\x1b[K\n")).toBe(true);
  });

  it("--quiet / --json: nothing", () => {
    const { out, stream } = sink(false);
    const p = createProgress("extract", "cells", { stream, quiet: true });
    p.stage("x");
    p.update(1, 2);
    p.finish();
    expect(out).toEqual([]);
  });
});
