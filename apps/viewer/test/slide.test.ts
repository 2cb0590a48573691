// The slide view: the bundled sample's slide served beside its extracted
// cells; the overview's dots lie on obs's centroids (read by h5py), the
// overview's and the detail window's pixels are the TIFF's (read by
// tifffile), a click on a dot opens that cell, and the detail reads a window
// of rows by range, not the slide. Then a larger slide (a strided overview),
// a deflate-tiled one (read through geotiff) and a JPEG 2000-tiled one, as
// 10x Xenium's (geotiff with the page's OpenJPEG decoder).
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "../../../packages/cli/src/serve.js";
import { py, pyPeer, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, canvasPixels, cli, launch, openViewer, shot } from "./harness.js";

const canRun = existsSync(CHROMIUM);
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-slide-"));
const sample = path.join(TEST_DATA, "sample");
const slide = path.join(sample, "image.tif");
const S = 48;
const MARK = [255, 45, 85];
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Truth {
  ids: number[];
  cy: number[];
  cx: number[];
  /** page 0 of the slide (the first channel), row-major. */
  page: number[];
  h: number;
  w: number;
}

describe.skipIf(!canRun)("the slide: overview with the centroids, a cell in place", () => {
  const dataset = path.join(tmp, "sample.h5sc");
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serve>>;
  const log: { path: string; range?: string; status: number; bytes: number }[] = [];
  let truth: Truth;

  beforeAll(async () => {
    const dist = buildViewer();
    cli(["extract", "--image", slide, "--nucleus", `${sample}/nucleus.tif`, "--size", String(S), "--out", dataset, "--quiet"]);
    truth = py(
      `
import json, sys, h5py, tifffile
inp = json.loads(sys.stdin.read())
with h5py.File(inp["h5"], "r") as f:
    obs = f["obs"]
    ids, cy, cx = obs["scportrait_cell_id"][:], obs["centroid_y"][:], obs["centroid_x"][:]
img = tifffile.imread(inp["tif"])
p0 = img[0] if img.ndim == 3 else img
print(json.dumps({"ids": [int(i) for i in ids], "cy": [float(v) for v in cy], "cx": [float(v) for v in cx],
  "page": [int(v) for v in p0.ravel()], "h": int(p0.shape[0]), "w": int(p0.shape[1])}))
`,
      { h5: dataset, tif: slide },
    );
    server = await serve({ dataset, viewerDir: dist, slide, onRequest: (r) => log.push({ path: r.path, range: r.range, status: r.status, bytes: r.bytes }) });
    browser = await launch();
    page = await openViewer(browser, server.url, { width: 1400, height: 900 });
    await page.waitForSelector('#slide-overview[data-drawn="1"]', { timeout: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("draws every centroid where obs puts it, on the slide's pixels", async () => {
    expect(server.url).toContain("&slide=/slide/image.tif");
    const W = await page.$eval("#slide-overview", (c) => (c as HTMLCanvasElement).width);
    const H = await page.$eval("#slide-overview", (c) => (c as HTMLCanvasElement).height);
    expect([H, W]).toEqual([truth.h, truth.w]); // 512 px: the overview is the slide, one pixel each
    const px = await canvasPixels(page, "#slide-overview");
    const at = (x: number, y: number) => Array.from(px.subarray((y * W + x) * 4, (y * W + x) * 4 + 3));
    // the pixel holding each centroid is the marker's colour
    for (let r = 0; r < truth.ids.length; r++) {
      expect(at(Math.floor(truth.cx[r] + 0.5), Math.floor(truth.cy[r] + 0.5)), `cell ${truth.ids[r]}`).toEqual(MARK);
    }
    // no marker anywhere else; elsewhere the slide's first channel, one linear scale
    const near = new Uint8Array(W * H);
    for (let r = 0; r < truth.ids.length; r++) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = Math.floor(truth.cx[r] + 0.5) + dx;
          const y = Math.floor(truth.cy[r] + 0.5) + dy;
          if (x >= 0 && y >= 0 && x < W && y < H) near[y * W + x] = 1;
        }
      }
    }
    const ratios: number[] = [];
    for (let i = 0; i < W * H; i++) if (!near[i] && truth.page[i] > 10 && px[i * 4] < 250) ratios.push(px[i * 4] / truth.page[i]);
    ratios.sort((a, b) => a - b);
    const k = ratios[ratios.length >> 1];
    let worst = 0;
    let marks = 0;
    for (let i = 0; i < W * H; i++) {
      if (near[i]) continue;
      const [r, g, b] = [px[i * 4], px[i * 4 + 1], px[i * 4 + 2]];
      if (r !== g || g !== b) marks++;
      worst = Math.max(worst, Math.abs(r - Math.min(255, truth.page[i] * k)));
    }
    expect(marks).toBe(0);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("a click on a cell's dot opens it; the detail shows its crop in the slide from a window of rows", async () => {
    // a cell with no other centroid within 20 px, so the click is not ambiguous
    const n = truth.ids.length;
    const r = [...Array(n).keys()].find((i) => truth.ids.every((_, j) => j === i || Math.hypot(truth.cx[i] - truth.cx[j], truth.cy[i] - truth.cy[j]) > 20)) as number;
    const id = truth.ids[r];
    const box = await page.$eval("#slide-overview", (c) => ({ cw: c.clientWidth, w: (c as HTMLCanvasElement).width }));
    const f = box.cw / box.w; // CSS pixels per slide pixel
    const before = log.length;
    await page.click("#slide-overview", { position: { x: (truth.cx[r] + 0.5) * f, y: (truth.cy[r] + 0.5) * f } });
    await page.waitForSelector(`#detail[data-cell-id="${id}"]`);
    await page.waitForSelector(`#detail-slide canvas[data-cell-id="${id}"]`, { timeout: 20_000 });
    const c = await page.$eval("#detail-slide canvas", (e) => {
      const cv = e as HTMLCanvasElement;
      return { x0: Number(cv.dataset.x0), y0: Number(cv.dataset.y0), w: cv.width, h: cv.height };
    });
    // the crop as extract cuts it: numpy-rounded centroid +- S/2 (Python's round is half to even too)
    const cy = py("import json,sys; v=json.loads(sys.stdin.read()); print(json.dumps([round(v[0]), round(v[1])]))", [truth.cy[r], truth.cx[r]]) as [number, number];
    expect(c.x0).toBe(Math.max(0, cy[1] - 2 * S));
    expect(c.y0).toBe(Math.max(0, cy[0] - 2 * S));
    const px = await canvasPixels(page, "#detail-slide canvas");
    const at = (x: number, y: number) => Array.from(px.subarray((y * c.w + x) * 4, (y * c.w + x) * 4 + 3));
    // the outline just outside the crop's rows and columns
    const top = cy[0] - S / 2 - c.y0 - 1;
    const left = cy[1] - S / 2 - c.x0 - 1;
    expect(at(left + 5, top)[0]).toBeGreaterThan(200);
    expect(at(left, top + 5)[1]).toBeLessThan(120);
    expect(at(left + S + 1, top + S / 2)[0]).toBeGreaterThan(200);
    // inside the crop: the slide's pixels at full resolution (same scale as the overview)
    const ov = await canvasPixels(page, "#slide-overview");
    let worst = 0;
    for (let y = top + 2; y < top + S; y++) {
      for (let x = left + 2; x < left + S; x++) {
        const g = (y + c.y0) * truth.w + (x + c.x0);
        const o = ov[g * 4] === ov[g * 4 + 1] ? ov[g * 4] : null; // not under a dot
        if (o !== null) worst = Math.max(worst, Math.abs(px[(y * c.w + x) * 4] - o));
      }
    }
    expect(worst).toBe(0);
    // read by range, a window of rows: less than one page of the slide
    const reads = log.slice(before).filter((q) => q.path.startsWith("/slide/"));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((q) => q.status === 206 && q.range)).toBe(true);
    const pageBytes = truth.w * truth.h;
    expect(reads.reduce((a, q) => a + q.bytes, 0)).toBeLessThanOrEqual(Math.min(c.h, 4 * S) * truth.w);
    expect(pageBytes).toBeLessThan(statSync(slide).size);
    await shot(page, "slide");
  });
});

/** Overview and detail pixels of a slide of other kinds (compared after one linear scale fitted to tifffile's values). */
describe.skipIf(!canRun)("larger and compressed slides: a strided overview, windows through geotiff", () => {
  const dataset = path.join(tmp, "for-big.h5sc");
  let browser: Browser;
  let dist: string;
  const H = 1100;
  const W = 1300;

  beforeAll(async () => {
    dist = buildViewer();
    cli(["extract", "--image", slide, "--nucleus", `${sample}/nucleus.tif`, "--size", String(S), "--out", dataset, "--quiet"]);
    // a smooth uint16 field with structure in both axes, as tifffile writes it: one strip, and deflate tiles
    py(
      `
import json, sys, numpy as np, tifffile
inp = json.loads(sys.stdin.read())
y, x = np.mgrid[0:${H}, 0:${W}]
img = (1000 + 800 * np.sin(y / 37.0) * np.cos(x / 23.0) + (x * 7 + y * 3) % 500).astype(np.uint16)
tifffile.imwrite(inp["raw"], img)
tifffile.imwrite(inp["tiled"], img, tile=(256, 256), compression="zlib")
# an OME-TIFF pyramid: levels of 1/2 and 1/4 in SubIFDs, as Bio-Formats and Xenium write them
with tifffile.TiffWriter(inp["pyramid"], ome=True) as t:
    opts = dict(tile=(256, 256), compression="zlib", photometric="minisblack")
    t.write(img, subifds=2, **opts)
    t.write(img[::2, ::2], subfiletype=1, **opts)
    t.write(img[::4, ::4], subfiletype=1, **opts)
print(json.dumps(True))
`,
      { raw: path.join(tmp, "big.tif"), tiled: path.join(tmp, "big-tiled.tif"), pyramid: path.join(tmp, "big-pyramid.ome.tif") },
    );
    // lossless JPEG 2000 tiles: tifffile + imagecodecs of the latest peer (Debian's lack the codec)
    if (!skipPeer("latest")) {
      pyPeer(
        "latest",
        `
import numpy as np, tifffile
y, x = np.mgrid[0:${H}, 0:${W}]
img = (1000 + 800 * np.sin(y / 37.0) * np.cos(x / 23.0) + (x * 7 + y * 3) % 500).astype(np.uint16)
tifffile.imwrite(${JSON.stringify(path.join(tmp, "big-j2k.tif"))}, img, tile=(256, 256), compression="jpeg2000")
print("true")
`,
      );
    }
    browser = await launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  const field = (y: number, x: number) => Math.trunc(1000 + 800 * Math.sin(y / 37.0) * Math.cos(x / 23.0) + ((x * 7 + y * 3) % 500));
  /** The worst difference between canvas pixels and `v * k` (k fitted), where no dot or outline is drawn. */
  function worstOff(px: Uint8Array, w: number, h: number, value: (i: number, j: number) => number): number {
    const grey = (i: number) => px[i * 4] === px[i * 4 + 1] && px[i * 4 + 1] === px[i * 4 + 2];
    const ratios: number[] = [];
    for (let i = 0; i < w * h; i++) if (grey(i) && px[i * 4] < 250 && px[i * 4] > 5) ratios.push(px[i * 4] / value(Math.floor(i / w), i % w));
    ratios.sort((a, b) => a - b);
    const k = ratios[ratios.length >> 1];
    let worst = 0;
    for (let i = 0; i < w * h; i++) if (grey(i)) worst = Math.max(worst, Math.abs(px[i * 4] - Math.min(255, value(Math.floor(i / w), i % w) * k)));
    return worst;
  }

  for (const [name, strided, pyramid] of [
    ["big.tif", true, false],
    ["big-tiled.tif", false, false],
    ["big-j2k.tif", false, false],
    ["big-pyramid.ome.tif", false, true],
  ] as const) {
    it.skipIf(name === "big-j2k.tif" && skipPeer("latest"))(`${name}: overview of ${W} x ${H} px and a cell's window`, async () => {
      const log: { path: string; range?: string; bytes: number }[] = [];
      const server = await serve({ dataset, viewerDir: dist, slide: path.join(tmp, name), onRequest: (r) => log.push(r) });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        await page.goto(server.url);
        await page.waitForSelector('#slide-overview[data-drawn="1"]', { timeout: 30_000 });
        const step = Math.ceil(W / 512);
        const size = await page.$eval("#slide-overview", (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
        expect(size).toEqual([Math.ceil(W / step), Math.ceil(H / step)]);
        const ov = await canvasPixels(page, "#slide-overview");
        // the raw path reads every step-th row and column; geotiff resamples to the same size
        if (strided) expect(worstOff(ov, size[0], size[1], (i, j) => field(i * step, j * step))).toBeLessThanOrEqual(1);
        const slideBytes = statSync(path.join(tmp, name)).size;
        const overviewBytes = log.filter((q) => q.path.startsWith("/slide/")).reduce((a, q) => a + q.bytes, 0);
        if (strided) expect(overviewBytes).toBeLessThan(slideBytes / 2); // every 3rd row of the one strip
        // a pyramid's overview comes from its 1/2 level (650 x 550, the smallest of at least 434 x 367): a quarter of the full level's tiles
        if (pyramid) expect(overviewBytes).toBeLessThan(slideBytes * 0.35);
        // a cell's window at full resolution: the field's values
        const before = log.length;
        await page.click(".line >> nth=0 >> canvas", { position: { x: 48, y: 48 } });
        await page.waitForSelector("#detail-slide canvas[data-cell-id]", { timeout: 20_000 });
        const c = await page.$eval("#detail-slide canvas", (e) => {
          const cv = e as HTMLCanvasElement;
          return { x0: Number(cv.dataset.x0), y0: Number(cv.dataset.y0), w: cv.width, h: cv.height };
        });
        const px = await canvasPixels(page, "#detail-slide canvas");
        expect(worstOff(px, c.w, c.h, (i, j) => field(i + c.y0, j + c.x0))).toBeLessThanOrEqual(1);
        const windowBytes = log.slice(before).filter((q) => q.path.startsWith("/slide/")).reduce((a, q) => a + q.bytes, 0);
        expect(windowBytes).toBeLessThan(slideBytes / 2);
        expect(log.filter((q) => q.path.startsWith("/slide/")).every((q) => q.range)).toBe(true);
      } finally {
        await page.close();
        await server.close();
      }
    });
  }
});
