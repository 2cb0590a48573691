// Benchmark (skipped unless VIEWER_BENCH=1): the embedding panel at a million
// points against matplotlib in the same run, on the same points and lasso.
//   VIEWER_BENCH=1 npx vitest run apps/viewer/test/embedding-bench.test.ts
// Ours, measured in the page: drawing every point (recolouring by a column),
// a lasso (mask, exact test near its edge, redraw), and a hover's hit test.
// matplotlib (Debian's python3): `Path.contains_points` for the lasso (what
// its LassoSelector examples use) and `scatter` of the points drawn by Agg
// into a 360 x 360 canvas. Best of 3 each. Sized by VIEWER_EMB_CELLS.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { hasZarr3, py } from "../../../test-utils/oracle.js";
import { writeEmbeddingDataset } from "./embedding-dataset.js";
import { buildViewer, CHROMIUM, launch, serveDataset } from "./harness.js";

const run = process.env.VIEWER_BENCH === "1" && existsSync(CHROMIUM) && hasZarr3();
const N = Number(process.env.VIEWER_EMB_CELLS ?? 1_000_000);
const POLY: [number, number][] = [
  [40, 120],
  [200, 90],
  [260, 170],
  [170, 160],
  [130, 260],
  [50, 230],
];

it.skipIf(!run)("embedding: draw, lasso and hover at a million points vs matplotlib", async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-emb-bench-"));
  const store = path.join(tmp, "umap.zarr");
  const truth = writeEmbeddingDataset(store, N);
  const server = await serveDataset(store, buildViewer());
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector("#embedding[data-state=ready]", { timeout: 300_000 });
    const best = (xs: number[]) => Math.min(...xs);
    // drawing: recolour by score (numeric ramp) and by cluster, 3 times each
    const draws: number[] = [];
    const colours: Record<string, number[]> = { score: [], cluster: [] };
    for (let k = 0; k < 3; k++) {
      for (const c of ["score", "cluster"]) {
        await page.selectOption("#emb-color", c);
        draws.push(Number(await page.getAttribute("#embedding", "data-draw-ms")));
        colours[c].push(Number(await page.getAttribute("#embedding", "data-color-ms")));
      }
    }
    // the lasso, 3 times (cleared in between)
    const b = await page.locator("#emb-overlay").boundingBox();
    if (!b) throw new Error("no canvas");
    const lassos: number[] = [];
    for (let k = 0; k < 3; k++) {
      await page.click("#emb-clear");
      await page.mouse.move(b.x + POLY[0][0], b.y + POLY[0][1]);
      await page.mouse.down();
      for (const [x, y] of [...POLY.slice(1), POLY[0]]) await page.mouse.move(b.x + x, b.y + y, { steps: 4 });
      await page.mouse.up();
      await page.waitForFunction(() => document.getElementById("embedding")?.dataset.selected !== "");
      lassos.push(Number(await page.getAttribute("#embedding", "data-select-ms")));
    }
    const selected = Number(await page.getAttribute("#embedding", "data-selected"));
    // a hover's hit test, timed in the page over 2,000 positions
    const hover = await page.$eval("#emb-overlay", (ov) => {
      const r = ov.getBoundingClientRect();
      const t0 = performance.now();
      for (let k = 0; k < 2000; k++) {
        const x = r.left + 20 + ((k * 37) % 320);
        const y = r.top + 20 + ((k * 53) % 320);
        ov.dispatchEvent(new PointerEvent("pointermove", { clientX: x, clientY: y, bubbles: true }));
      }
      return (performance.now() - t0) / 2000;
    });
    // matplotlib on the same points, placed as the panel places them
    const pts = path.join(tmp, "umap.f32");
    writeFileSync(pts, Buffer.from(truth.umap.buffer));
    const peer = py(
      `
import json, sys, time, numpy as np
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.path import Path
inp = json.loads(sys.stdin.read())
xy = np.fromfile(inp["points"], dtype="<f4").reshape(-1, 2).astype(np.float64)
W, PAD = 360, 10
x0, y0 = xy.min(0); x1, y1 = xy.max(0)
k = min((W - 2 * PAD) / (x1 - x0), (W - 2 * PAD) / (y1 - y0))
sx = PAD + (W - 2 * PAD - (x1 - x0) * k) / 2 + (xy[:, 0] - x0) * k
sy = PAD + (W - 2 * PAD - (y1 - y0) * k) / 2 + (y1 - xy[:, 1]) * k
s = np.stack([sx, sy], 1)
path = Path(inp["poly"])
lasso = []
for _ in range(3):
    t = time.perf_counter(); inside = path.contains_points(s); lasso.append((time.perf_counter() - t) * 1000)
fig = plt.figure(figsize=(3.6, 3.6), dpi=100); ax = fig.add_axes([0, 0, 1, 1]); ax.set_axis_off()
c = np.fromfile(inp["cluster"], dtype="i1")
ax.scatter(xy[:, 0], xy[:, 1], s=0.1, c=c, cmap="tab10", marker=",", linewidths=0)
draw = []
for _ in range(3):
    t = time.perf_counter(); fig.canvas.draw(); draw.append((time.perf_counter() - t) * 1000)
print(json.dumps({"lasso": min(lasso), "draw": min(draw), "inside": int(inside.sum()), "mpl": matplotlib.__version__}))
`,
      { points: pts, poly: POLY, cluster: `${store}.cluster.i8` },
    );
    const load = execFileSync("uptime", { encoding: "utf8" }).trim();
    const ours = { draw: best(draws), lasso: best(lassos) };
    console.log(
      [
        `${N.toLocaleString("en-US")} points, 360 x 360 canvas; ${load}`,
        `draw every point: ours ${ours.draw} ms, matplotlib ${peer.mpl} scatter (Agg) ${peer.draw.toFixed(0)} ms: ${(peer.draw / Math.max(1, ours.draw)).toFixed(1)}x faster`,
        `lasso (${selected} inside; matplotlib ${peer.inside}): ours ${ours.lasso} ms incl. redraw, matplotlib Path.contains_points ${peer.lasso.toFixed(0)} ms: ${(peer.lasso / Math.max(1, ours.lasso)).toFixed(1)}x faster`,
        `colouring a million points (once per column): by a number ${best(colours.score)} ms, by categories ${best(colours.cluster)} ms`,
        `hover hit test: ${(hover * 1000).toFixed(0)} µs a pointer move (incl. the overlay redraw)`,
      ].join("\n"),
    );
    expect(Math.abs(selected - peer.inside)).toBeLessThanOrEqual(2);
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}, 900_000);
