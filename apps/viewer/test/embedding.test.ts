// The embedding panel at a million cells: an obsm/X_umap written by
// zarr-python, served by `cellfolio view`'s server, drawn by the page in
// Debian's chromium. The test places the points itself (the fit the panel
// documents: the data's bounding box inside a 10 px margin, aspect kept,
// centred, y up) and selects, hovers and checks colours against what
// zarr-python read from the store.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3 } from "../../../test-utils/oracle.js";
import { type EmbeddingTruth, writeEmbeddingDataset } from "./embedding-dataset.js";
import { buildViewer, CHROMIUM, canvasPixels, gridIds, launch, RESULTS, serveDataset, shot } from "./harness.js";

const canRun = existsSync(CHROMIUM) && hasZarr3();
const N = Number(process.env.VIEWER_EMB_CELLS ?? 1_000_000);
const PAD = 10;
const REACH = 6;

/** The panel's fit, computed here: canvas position of every point. */
function place(t: EmbeddingTruth, W: number, H: number): { sx: Float64Array; sy: Float64Array } {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < t.n; i++) {
    x0 = Math.min(x0, t.umap[2 * i]);
    x1 = Math.max(x1, t.umap[2 * i]);
    y0 = Math.min(y0, t.umap[2 * i + 1]);
    y1 = Math.max(y1, t.umap[2 * i + 1]);
  }
  const k = Math.min((W - 2 * PAD) / (x1 - x0), (H - 2 * PAD) / (y1 - y0));
  const ox = PAD + (W - 2 * PAD - (x1 - x0) * k) / 2;
  const oy = PAD + (H - 2 * PAD - (y1 - y0) * k) / 2;
  const sx = new Float64Array(t.n);
  const sy = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) {
    sx[i] = ox + (t.umap[2 * i] - x0) * k;
    sy[i] = oy + (y1 - t.umap[2 * i + 1]) * k;
  }
  return { sx, sy };
}

/** Crossing-number test, written here independently of the page. */
function inPolygon(px: number, py: number, poly: [number, number][]): boolean {
  let c = false;
  for (let a = 0; a < poly.length; a++) {
    const [x1, y1] = poly[a];
    const [x2, y2] = poly[(a + 1) % poly.length];
    if (y1 > py === y2 > py) continue;
    const xCross = x1 + ((py - y1) / (y2 - y1)) * (x2 - x1);
    if (px < xCross) c = !c;
  }
  return c;
}

describe.skipIf(!canRun)(`an X_umap of ${N.toLocaleString("en-US")} cells`, () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-embedding-"));
  const store = path.join(tmp, "umap.zarr");
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDataset>>;
  let page: Page;
  let truth: EmbeddingTruth;
  let pos: { sx: Float64Array; sy: Float64Array };
  let box: { x: number; y: number };
  const W = 360;

  beforeAll(async () => {
    truth = writeEmbeddingDataset(store, N);
    const dist = buildViewer();
    server = await serveDataset(store, dist);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector("body[data-state=open]", { timeout: 120_000 });
    await page.waitForSelector("#embedding[data-state=ready]", { timeout: 120_000 });
    const b = await page.locator("#emb-overlay").boundingBox();
    if (!b) throw new Error("no embedding canvas");
    box = { x: b.x, y: b.y };
    pos = place(truth, W, W);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("draws every point, each pixel in the colour of the last cell placed there (the legend's colour of its cluster)", async () => {
    expect(await page.$eval("#emb-canvas", (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([W, W]);
    console.log(`embedding of ${N} points: loaded in ${await page.getAttribute("#embedding", "data-load-ms")} ms, drawn in ${await page.getAttribute("#embedding", "data-draw-ms")} ms`);
    const legend = await page.$$eval("#emb-legend .key", (ks) => ks.map((k) => [(k as HTMLElement).dataset.value, (k as HTMLElement).dataset.color]));
    expect(legend.map(([v]) => v)).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]);
    const colorOf = new Map(legend.map(([v, c]) => [Number(v?.slice(1)), (c ?? "").split(",").map(Number)]));
    expect(new Set(legend.map(([, c]) => c)).size).toBe(6);
    // the last cell (by row) in each pixel gives its colour; an empty pixel is background
    const last = new Int32Array(W * W).fill(-1);
    for (let i = 0; i < N; i++) last[Math.floor(pos.sy[i]) * W + Math.floor(pos.sx[i])] = i;
    const px = await canvasPixels(page, "#emb-canvas");
    let checked = 0;
    let wrong = 0;
    for (let p = 0; p < W * W; p++) {
      // pixels next to another's dot are left out only at small sizes (dots of 2-3 px); at 1M a dot is 1 px
      if (N <= 200_000) break;
      const want = last[p] < 0 ? [13, 16, 19] : (colorOf.get(truth.cluster[last[p]]) as number[]);
      checked++;
      if (px[p * 4] !== want[0] || px[p * 4 + 1] !== want[1] || px[p * 4 + 2] !== want[2]) wrong++;
    }
    console.log(`${checked} pixels checked, ${wrong} differ`);
    expect(wrong).toBe(0);
    expect(last.filter((r) => r >= 0).length).toBeGreaterThan(10_000);
    await page.locator("#embedding").screenshot({ path: path.join(RESULTS, "embedding-1m.png") });
  });

  it("a lasso selects the cells inside it and the grid shows only those, within 1 s", async () => {
    // a concave lasso over two clusters, in canvas pixels
    const poly: [number, number][] = [
      [40, 120],
      [200, 90],
      [260, 170],
      [170, 160],
      [130, 260],
      [50, 230],
    ];
    const want: number[] = [];
    for (let i = 0; i < N; i++) if (inPolygon(pos.sx[i], pos.sy[i], poly)) want.push(i);
    expect(want.length).toBeGreaterThan(N / 20);
    // in the page, started before the release: the time of the release, then when the grid
    // holds the selection, then when its thumbnails are drawn (polled every 2 ms)
    await page.evaluate((count) => {
      const w = window as unknown as { t0: number; filtered: number; drawn: number };
      w.t0 = w.filtered = w.drawn = 0;
      document.getElementById("emb-overlay")?.addEventListener("pointerup", () => (w.t0 = performance.now()), { capture: true, once: true });
      const poll = () => {
        if (w.t0 && !w.filtered && document.getElementById("shown")?.dataset.count === String(count)) w.filtered = performance.now();
        if (w.filtered && document.querySelector(".line canvas") && document.querySelector('.line canvas[data-drawn="0"]') === null) w.drawn = performance.now();
        if (!w.drawn) setTimeout(poll, 2);
      };
      poll();
    }, want.length);
    const path_: [number, number][] = [];
    for (let a = 0; a <= poly.length; a++) {
      const [x1, y1] = poly[a % poly.length];
      const [x0, y0] = poly[(a + poly.length - 1) % poly.length];
      if (a === 0) path_.push([x1, y1]);
      else for (let s = 1; s <= 8; s++) path_.push([x0 + ((x1 - x0) * s) / 8, y0 + ((y1 - y0) * s) / 8]);
    }
    await page.mouse.move(box.x + path_[0][0], box.y + path_[0][1]);
    await page.mouse.down();
    for (const [x, y] of path_.slice(1)) await page.mouse.move(box.x + x, box.y + y);
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { drawn: number }).drawn > 0, null, { timeout: 30_000 });
    const ms = await page.evaluate(() => {
      const w = window as unknown as { t0: number; filtered: number; drawn: number };
      return { filtered: w.filtered - w.t0, drawn: w.drawn - w.t0 };
    });
    console.log(`lasso over ${N} points: ${want.length} selected; grid filtered ${ms.filtered.toFixed(0)} ms, thumbnails drawn ${ms.drawn.toFixed(0)} ms after release (in the handler: selection ${await page.getAttribute("#embedding", "data-select-ms")} ms, with the grid filtered ${await page.getAttribute("#embedding", "data-select-refresh-ms")} ms)`);
    expect(Number(await page.getAttribute("#embedding", "data-selected"))).toBe(want.length);
    expect(ms.filtered).toBeLessThan(1000);
    expect(ms.drawn).toBeLessThan(1000);
    const ids = (await gridIds(page)).flat();
    expect(ids).toEqual(want.slice(0, ids.length).map((r) => truth.ids[r]));
    await shot(page, "embedding-lasso");
    await page.locator("#embedding").screenshot({ path: path.join(RESULTS, "embedding-lasso-panel.png") });
  });

  it("hovering a point shows its cell; a cell opened in the grid is ringed in the scatter", async () => {
    // hover: the nearest point within 6 px of the pointer, as computed here
    const at: [number, number] = [300, 200];
    let best = -1;
    let bd = REACH * REACH;
    for (let i = 0; i < N; i++) {
      const d = (pos.sx[i] - at[0]) ** 2 + (pos.sy[i] - at[1]) ** 2;
      if (d < bd) {
        bd = d;
        best = i;
      }
    }
    expect(best).toBeGreaterThanOrEqual(0);
    await page.mouse.move(box.x + at[0] - 20, box.y + at[1]);
    await page.mouse.move(box.x + at[0], box.y + at[1]);
    await page.waitForSelector(`#emb-tip[data-drawn="${truth.ids[best]}"]`);
    expect(await page.isVisible("#emb-tip canvas")).toBe(true);
    await page.locator("#embedding").screenshot({ path: path.join(RESULTS, "embedding-hover.png") });
    await page.mouse.move(box.x + W + 50, box.y + 50);
    // the grid: open the third cell of the first line
    const first = (await gridIds(page))[0];
    await page.click(".line >> nth=0 >> canvas", { position: { x: 2 * 102 + 48, y: 48 } });
    await page.waitForSelector("#detail:not([hidden])");
    const id = first[2];
    expect(await page.getAttribute("#embedding", "data-current")).toBe(String(id));
    const row = truth.ids.indexOf(id);
    // a white ring of radius 7 around the point, on the overlay
    const ov = await canvasPixels(page, "#emb-overlay");
    const cx = pos.sx[row];
    const cy = pos.sy[row];
    let ring = 0;
    let inside = 0;
    for (let a = 0; a < 16; a++) {
      const x = Math.floor(cx + 7 * Math.cos((a * Math.PI) / 8));
      const y = Math.floor(cy + 7 * Math.sin((a * Math.PI) / 8));
      const o = (y * W + x) * 4;
      if (ov[o + 3] > 100 && ov[o] > 200 && ov[o + 1] > 200 && ov[o + 2] > 200) ring++;
    }
    const o = (Math.floor(cy) * W + Math.floor(cx)) * 4;
    if (ov[o + 3] > 0) inside++;
    expect(ring).toBeGreaterThanOrEqual(12);
    expect(inside).toBe(0);
    await page.locator("#embedding").screenshot({ path: path.join(RESULTS, "embedding-current.png") });
    await page.click("#detail-close");
    // clearing the selection gives every cell back
    await page.click("#emb-clear");
    expect(await page.getAttribute("#shown", "data-count")).toBe(String(N));
  });
});
