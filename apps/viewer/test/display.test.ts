// Per-channel display, sort and the contact sheet in chromium, on a small
// dataset of raw uint16 cells written by zarr-python: every expected pixel is
// computed here from the cells as zarr-python reads them.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py } from "../../../test-utils/oracle.js";
import { EMB_CHANNELS, EMB_SIZE, type EmbeddingTruth, readImages, writeEmbeddingDataset } from "./embedding-dataset.js";
import { buildViewer, CHROMIUM, canvasPixels, gridIds, launch, RESULTS, serveDataset, shot } from "./harness.js";

const canRun = existsSync(CHROMIUM) && hasZarr3();
const N = 400;
const S = EMB_SIZE;
const DNA = EMB_CHANNELS.indexOf("DNA");
const PH3 = EMB_CHANNELS.indexOf("PH3");
const clamp01 = (t: number) => Math.min(1, Math.max(0, t));

describe.skipIf(!canRun)("per-channel contrast and colour, sort, contact sheet", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-display-"));
  const store = path.join(tmp, "cells.zarr");
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDataset>>;
  let page: Page;
  let truth: EmbeddingTruth;
  const rowOf = (id: number) => truth.ids.indexOf(id);
  /** A channel plane of a cell as zarr-python reads it. */
  const plane = (cell: number[], ch: number) => cell.slice(ch * S * S, (ch + 1) * S * S);
  const setLimits = async (ch: string, lo: number, hi: number) => {
    await page.fill(`.chan[data-channel="${ch}"] input.lo`, String(lo));
    await page.fill(`.chan[data-channel="${ch}"] input.hi`, String(hi));
  };
  /** Largest difference between a canvas's RGB and the expected RGB per pixel. */
  const worst = (px: Uint8Array, want: (p: number) => [number, number, number]) => {
    let w = 0;
    for (let p = 0; p < S * S; p++) {
      const e = want(p);
      for (let k = 0; k < 3; k++) w = Math.max(w, Math.abs(px[p * 4 + k] - e[k]));
    }
    return w;
  };

  beforeAll(async () => {
    truth = writeEmbeddingDataset(store, N);
    server = await serveDataset(store, buildViewer());
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector("body[data-state=open]", { timeout: 60_000 });
    await page.waitForSelector('.line canvas[data-drawn="1"]');
    await page.uncheck("#outlines");
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("contrast limits per channel: (v - lo) / (hi - lo) in the detail and the grid; slider and number follow each other", async () => {
    const id = (await gridIds(page))[0][1];
    await page.click(".line >> nth=0 >> canvas", { position: { x: 102 + 48, y: 48 } });
    await page.waitForSelector('#detail-channels canvas[data-channel="DNA"]');
    const [cell] = readImages(store, [rowOf(id)]);
    const dna = plane(cell, DNA);
    expect(Math.max(...dna)).toBeGreaterThan(300);
    await setLimits("DNA", 100, 700);
    expect(await page.inputValue('.chan[data-channel="DNA"] input.lo-r')).toBe("100");
    const grey = (p: number): [number, number, number] => {
      const g = Math.round(255 * clamp01((dna[p] - 100) / 600));
      return [g, g, g];
    };
    const detail = await canvasPixels(page, '#detail-channels canvas[data-channel="DNA"]');
    expect(worst(detail, grey)).toBeLessThanOrEqual(1);
    // the grid tile (the cell at 12x: image pixel (y, x) fills a 12 px block)
    const line = await canvasPixels(page, ".line >> nth=0 >> canvas");
    const lw = await page.$eval(".line canvas", (c) => (c as HTMLCanvasElement).width);
    let w = 0;
    for (let p = 0; p < S * S; p++) {
      const o = ((Math.floor(p / S) * 12 + 6) * lw + 102 + (p % S) * 12 + 6) * 4;
      w = Math.max(w, Math.abs(line[o] - grey(p)[0]));
    }
    expect(w).toBeLessThanOrEqual(1);
    // the slider moves the number
    await page.$eval('.chan[data-channel="DNA"] input.hi-r', (el) => {
      const r = el as HTMLInputElement;
      r.value = "650";
      r.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(await page.inputValue('.chan[data-channel="DNA"] input.hi')).toBe("650");
    await shot(page, "display-contrast");
  });

  it("auto: the 0.5th and 99.5th percentiles of the cells in view", async () => {
    await page.click("#detail-close");
    await page.waitForTimeout(200);
    await page.waitForFunction(() => document.querySelector('.line canvas[data-drawn="0"]') === null);
    const rows = (await gridIds(page)).flat().map(rowOf);
    const values: number[] = [];
    for (const c of readImages(store, rows)) values.push(...plane(c, PH3));
    values.sort((a, b) => a - b);
    const n = values.length;
    expect(n).toBeLessThan(100_000); // every value, not a sample
    await page.click("#auto-contrast");
    expect(Number(await page.inputValue('.chan[data-channel="PH3"] input.lo'))).toBe(values[Math.floor(n * 0.005)]);
    expect(Number(await page.inputValue('.chan[data-channel="PH3"] input.hi'))).toBe(values[Math.floor(n * 0.995)]);
  });

  it("colour per channel: the composite adds each ticked channel in its colour", async () => {
    await page.check('input[name="mode"][value="mix"]');
    await page.fill('.chan[data-channel="DNA"] input.color', "#ff00ff");
    await page.fill('.chan[data-channel="PH3"] input.color', "#00ff00");
    await setLimits("DNA", 100, 700);
    await setLimits("PH3", 0, 400);
    const id = (await gridIds(page))[0][3];
    await page.click(".line >> nth=0 >> canvas", { position: { x: 3 * 102 + 48, y: 48 } });
    await page.waitForSelector(`#detail[data-cell-id="${id}"] #detail-composite canvas`);
    const [cell] = readImages(store, [rowOf(id)]);
    const dna = plane(cell, DNA);
    const ph3 = plane(cell, PH3);
    const mix = (p: number): [number, number, number] => {
      const d = 255 * clamp01((dna[p] - 100) / 600);
      const g = 255 * clamp01(ph3[p] / 400);
      return [Math.round(d), Math.round(g), Math.round(d)];
    };
    const both = await canvasPixels(page, "#detail-composite canvas");
    expect(worst(both, mix)).toBeLessThanOrEqual(1);
    expect(Math.max(...ph3)).toBeGreaterThan(100); // PH3 shows: green is not empty
    // each channel of the detail stays grey, with its limits
    const single = await canvasPixels(page, '#detail-channels canvas[data-channel="PH3"]');
    expect(worst(single, (p) => [mix(p)[1], mix(p)[1], mix(p)[1]])).toBeLessThanOrEqual(1);
    await shot(page, "display-colour");
    await page.locator("#channels").screenshot({ path: path.join(RESULTS, "display-channels.png") });
    // PH3 unticked: no green left
    await page.uncheck('.chan[data-channel="PH3"] input.mix-on');
    const dnaOnly = await canvasPixels(page, "#detail-composite canvas");
    expect(worst(dnaOnly, (p) => [mix(p)[0], 0, mix(p)[2]])).toBeLessThanOrEqual(1);
    await page.check('.chan[data-channel="PH3"] input.mix-on');
    await page.click("#detail-close");
  });

  it("sort by an obs column, ascending and descending; a categorical keeps row order within a value", async () => {
    const byScore = Array.from({ length: N }, (_, r) => r).sort((a, b) => truth.score[a] - truth.score[b]);
    await page.selectOption("#sort-col", "score");
    let ids = (await gridIds(page)).flat();
    expect(ids.length).toBeGreaterThan(20);
    expect(ids).toEqual(byScore.slice(0, ids.length).map((r) => truth.ids[r]));
    await page.click("#sort-dir");
    ids = (await gridIds(page)).flat();
    expect(ids).toEqual(byScore.reverse().slice(0, ids.length).map((r) => truth.ids[r]));
    await page.waitForTimeout(300);
    await shot(page, "display-sorted");
    await page.click("#sort-dir");
    await page.selectOption("#sort-col", "cluster");
    const byCluster = Array.from({ length: N }, (_, r) => r).sort((a, b) => truth.cluster[a] - truth.cluster[b] || a - b);
    ids = (await gridIds(page)).flat();
    expect(ids).toEqual(byCluster.slice(0, ids.length).map((r) => truth.ids[r]));
    await page.selectOption("#sort-col", "");
  });

  it("two obs columns as the scatter: centroids placed as on the slide (y down); hovering one shows that cell", async () => {
    await page.selectOption("#emb-source", "obs");
    await page.waitForSelector("#embedding[data-state=ready]");
    expect(await page.inputValue("#emb-x")).toBe("centroid_x");
    expect(await page.inputValue("#emb-y")).toBe("centroid_y");
    const W = 360;
    const xs = Array.from({ length: N }, (_, i) => truth.centroid[2 * i]);
    const ys = Array.from({ length: N }, (_, i) => truth.centroid[2 * i + 1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const k = Math.min((W - 20) / (x1 - x0), (W - 20) / (y1 - y0));
    const ox = 10 + (W - 20 - (x1 - x0) * k) / 2;
    const oy = 10 + (W - 20 - (y1 - y0) * k) / 2;
    // the cell with the largest y: at the bottom of the plot
    const row = ys.indexOf(y1);
    const at = [ox + (xs[row] - x0) * k, oy + (ys[row] - y0) * k];
    expect(at[1]).toBeCloseTo(W - 10 - (W - 20 - (y1 - y0) * k) / 2, 6);
    const b = await page.locator("#emb-overlay").boundingBox();
    if (!b) throw new Error("no embedding canvas");
    await page.mouse.move(b.x + at[0] - 15, b.y + at[1] - 15);
    await page.mouse.move(b.x + at[0], b.y + at[1]);
    await page.waitForSelector(`#emb-tip[data-cell-id="${truth.ids[row]}"]`);
    await page.mouse.move(b.x + W + 40, b.y);
    await page.selectOption("#emb-source", "obsm:X_umap");
  });

  it("the contact sheet of the selection: a PNG of the cells as shown, each captioned", async () => {
    await page.check('input[name="mode"][value="grey"]');
    await page.selectOption("#ch-grey", { label: "DNA" });
    await setLimits("DNA", 0, 1000);
    await page.click("#select-none");
    const first = (await gridIds(page))[0].slice(0, 5);
    for (let k = 0; k < 5; k++) await page.click(".line >> nth=0 >> canvas", { position: { x: k * 102 + 48, y: 48 }, modifiers: ["Control"] });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#contact-sheet")]);
    const file = path.join(RESULTS, "contact-sheet.png");
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe("cells-sheet-5.png");
    expect(await page.getAttribute("#sheet-canvas", "data-cell-ids")).toBe(first.join(","));
    // decoded by Pillow
    const png = py(
      `
import json, sys, numpy as np
from PIL import Image
im = np.asarray(Image.open(json.loads(sys.stdin.read())["path"]).convert("RGB"))
print(json.dumps({"shape": list(im.shape), "pixels": im.astype(int).ravel().tolist()}))
`,
      { path: file },
    );
    const tile = 96;
    expect(png.shape).toEqual([8 + 20 + tile + 28 + 8, 8 + 5 * tile + 4 * 4 + 8, 3]);
    const [H, W] = png.shape;
    const at = (y: number, x: number) => png.pixels.slice((y * W + x) * 3, (y * W + x) * 3 + 3) as number[];
    const cells = readImages(store, first.map(rowOf));
    let w = 0;
    cells.forEach((cell, k) => {
      const dna = plane(cell, DNA);
      const x0 = 8 + k * (tile + 4);
      const y0 = 8 + 20;
      for (let p = 0; p < S * S; p++) {
        const want = Math.round(255 * clamp01(dna[p] / 1000));
        const got = at(y0 + Math.floor(p / S) * 12 + 6, x0 + (p % S) * 12 + 6);
        w = Math.max(w, ...got.map((v) => Math.abs(v - want)));
      }
      // the caption: the cellID (light grey) and the label (yellow) under the tile
      const band = (ya: number, yb: number, test: (c: number[]) => boolean) => {
        let hits = 0;
        for (let y = ya; y < yb; y++) for (let x = x0; x < x0 + tile; x++) if (test(at(y, x))) hits++;
        return hits;
      };
      expect(band(y0 + tile + 1, y0 + tile + 14, (c) => c[0] > 120 && Math.abs(c[0] - c[2]) < 40)).toBeGreaterThan(5);
      expect(band(y0 + tile + 14, y0 + tile + 28, (c) => c[0] > 150 && c[1] > 100 && c[2] < 120)).toBeGreaterThan(5);
    });
    expect(w).toBeLessThanOrEqual(1);
    expect(H).toBeGreaterThan(0);
    await page.click("#select-none");
  });
});
