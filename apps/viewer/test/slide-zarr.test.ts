// OME-Zarr slides: the bundled sample's image written by zarr-python 3 as an
// OME-Zarr of 2 levels (NGFF 0.5 zarr.json with (c, y, x), and NGFF 0.4
// .zattrs with (t, c, z, y, x), float16), served by `cellfolio view DATASET --slide
// SLIDE.zarr`. The overview's dots lie on obs's centroids (read by h5py), its
// pixels and the detail window's are the slide's (read by zarr-python), and
// the window is read from exactly the level-0 chunks it covers. Then a
// larger pyramid: the overview comes from the coarsest level still 512 px.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyZarr3, TEST_DATA } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, CLI, canvasPixels, cli, launch, shot } from "./harness.js";

const canRun = existsSync(CHROMIUM);
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-slide-zarr-"));
const sample = path.join(TEST_DATA, "sample");
const S = 48;
const CHUNK = 64;
const MARK = [255, 45, 85];
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes `img` (numpy, named in the script) as an OME-Zarr of `levels` levels, halving y and x, chunks CHUNK px. */
const WRITE_OME = `
import zarr, numpy as np
def write_ome(out, img, levels, v2):
    # img: (c, y, x); v2 writes NGFF 0.4 (t, c, z, y, x) in .zattrs, else NGFF 0.5 (c, y, x) in zarr.json
    root = zarr.open_group(out, mode="w", zarr_format=2 if v2 else 3)
    datasets = []
    for l in range(levels):
        a = img[:, :: 2**l, :: 2**l]
        if v2:
            # float16 on this one (0..255 exactly): the view reads half floats' bit patterns as numbers
            a = a[None, :, None].astype(np.float16)
        chunks = (1,) * (a.ndim - 2) + (${CHUNK}, ${CHUNK})
        arr = root.create_array(str(l), shape=a.shape, chunks=chunks, dtype=a.dtype)
        arr[...] = a
        datasets.append({"path": str(l), "coordinateTransformations": [{"type": "scale", "scale": [1.0] * (a.ndim - 2) + [2.0**l] * 2}]})
    space = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    axes = ([{"name": "t", "type": "time"}, {"name": "c", "type": "channel"}, {"name": "z", "type": "space"}] if v2 else [{"name": "c", "type": "channel"}]) + space
    ms = [{"version": "0.4", "axes": axes, "datasets": datasets}] if v2 else [{"axes": axes, "datasets": datasets}]
    if v2:
        root.attrs["multiscales"] = ms
    else:
        root.attrs["ome"] = {"version": "0.5", "multiscales": ms}
`;

/** `cellfolio view ... --slide ...` running: its printed URL, stopped by stop(). */
async function view(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "view", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const url = await new Promise<string>((ok, fail) => {
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /open (\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`cellfolio view exited ${code}: ${err}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/** The /slide/ requests a page makes, as paths. */
function slideRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (r) => {
    const p = decodeURIComponent(new URL(r.url()).pathname);
    if (p.startsWith("/slide/")) seen.push(p);
  });
  return seen;
}

const isMeta = (p: string) => /(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/.test(p);

/** Grey as the view draws it: v * 255 / hi, clamped and rounded by the canvas (half to even). */
function grey(v: number, hi: number): number {
  const x = Math.min(255, v * (255 / hi));
  const f = Math.floor(x);
  return x - f > 0.5 || (x - f === 0.5 && f % 2 === 1) ? f + 1 : f;
}

interface Truth {
  ids: number[];
  cy: number[];
  cx: number[];
  /** Level 0, first channel, row-major, as zarr-python reads it. */
  page: number[];
  h: number;
  w: number;
}

describe.skipIf(!canRun)("an OME-Zarr slide of the sample: overview with the centroids, a cell from its level-0 chunks", () => {
  const dataset = path.join(tmp, "sample.h5sc");
  let browser: Browser;
  let dist: string;

  beforeAll(async () => {
    dist = buildViewer();
    cli(["extract", "--image", path.join(sample, "image.tif"), "--nucleus", `${sample}/nucleus.tif`, "--size", String(S), "--out", dataset, "--quiet"]);
    browser = await launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  for (const v2 of [false, true]) {
    const name = v2 ? "sample-v2.zarr" : "sample.zarr";
    it(`${v2 ? "NGFF 0.4, Zarr v2, (t, c, z, y, x)" : "NGFF 0.5, Zarr v3, (c, y, x)"}`, async () => {
      const slide = path.join(tmp, name);
      const truth: Truth = pyZarr3(
        `${WRITE_OME}
import json, sys, h5py, tifffile
inp = json.loads(sys.stdin.read())
write_ome(inp["out"], tifffile.imread(inp["tif"]), 2, inp["v2"])
with h5py.File(inp["h5"], "r") as f:
    obs = f["obs"]
    ids, cy, cx = obs["scportrait_cell_id"][:], obs["centroid_y"][:], obs["centroid_x"][:]
a = zarr.open_group(inp["out"], mode="r")["0"]
p0 = np.asarray(a[(0,) * (a.ndim - 2)])
print(json.dumps({"ids": [int(i) for i in ids], "cy": [float(v) for v in cy], "cx": [float(v) for v in cx],
  "page": [int(v) for v in p0.ravel()], "h": int(p0.shape[0]), "w": int(p0.shape[1])}))
`,
        { out: slide, tif: path.join(sample, "image.tif"), h5: dataset, v2 },
      );
      const served = await view([dataset, "--slide", slide, "--viewer", dist]);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const reqs = slideRequests(page);
      try {
        expect(served.url).toContain(`&slide=/slide/${name}`);
        await page.goto(served.url);
        await page.waitForSelector('#slide-overview[data-drawn="1"]', { timeout: 30_000 });
        expect(await page.textContent("#slide-name")).toBe(`${name} · ${truth.w} × ${truth.h} px`);

        // the overview: level 0 (512 px, the coarsest level that large), a dot at every centroid, the slide's pixels elsewhere
        const [W, H] = await page.$eval("#slide-overview", (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
        expect([H, W]).toEqual([truth.h, truth.w]);
        expect(reqs.filter((p) => !isMeta(p)).every((p) => p.startsWith(`/slide/${name}/0/`))).toBe(true);
        const ov = await canvasPixels(page, "#slide-overview");
        const at = (px: Uint8Array, w: number, x: number, y: number) => Array.from(px.subarray((y * w + x) * 4, (y * w + x) * 4 + 3));
        for (let r = 0; r < truth.ids.length; r++) {
          expect(at(ov, W, Math.floor(truth.cx[r] + 0.5), Math.floor(truth.cy[r] + 0.5)), `cell ${truth.ids[r]}`).toEqual(MARK);
        }
        const sorted = Float32Array.from(truth.page).sort();
        const hi = Math.max(1, sorted[Math.floor(0.995 * (sorted.length - 1))]);
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
        let off = 0;
        for (let i = 0; i < W * H; i++) {
          if (near[i]) continue;
          const g = grey(truth.page[i], hi);
          if (ov[i * 4] !== g || ov[i * 4 + 1] !== g || ov[i * 4 + 2] !== g) off++;
        }
        expect(off).toBe(0);

        // a click on a lone cell's dot opens it; its window is level 0's pixels, read from the chunks it covers only
        const n = truth.ids.length;
        const r = [...Array(n).keys()].find((i) => truth.ids.every((_, j) => j === i || Math.hypot(truth.cx[i] - truth.cx[j], truth.cy[i] - truth.cy[j]) > 20)) as number;
        const f = (await page.$eval("#slide-overview", (c) => c.clientWidth)) / W;
        const before = reqs.length;
        await page.click("#slide-overview", { position: { x: (truth.cx[r] + 0.5) * f, y: (truth.cy[r] + 0.5) * f } });
        await page.waitForSelector(`#detail-slide canvas[data-cell-id="${truth.ids[r]}"]`, { timeout: 20_000 });
        const c = await page.$eval("#detail-slide canvas", (e) => {
          const cv = e as HTMLCanvasElement;
          return { x0: Number(cv.dataset.x0), y0: Number(cv.dataset.y0), w: cv.width, h: cv.height };
        });
        const [ry, rx] = pyZarr3("import json,sys; v=json.loads(sys.stdin.read()); print(json.dumps([round(v[0]), round(v[1])]))", [truth.cy[r], truth.cx[r]]) as [number, number];
        const x0 = Math.max(0, rx - 2 * S);
        const y0 = Math.max(0, ry - 2 * S);
        const x1 = Math.min(truth.w, rx + 2 * S);
        const y1 = Math.min(truth.h, ry + 2 * S);
        expect(c).toEqual({ x0, y0, w: x1 - x0, h: y1 - y0 });
        const px = await canvasPixels(page, "#detail-slide canvas");
        let greyPx = 0;
        let wrong = 0;
        for (let y = 0; y < c.h; y++) {
          for (let x = 0; x < c.w; x++) {
            const i = y * c.w + x;
            if (px[i * 4] !== px[i * 4 + 1] || px[i * 4 + 1] !== px[i * 4 + 2]) continue; // the crop's outline
            greyPx++;
            if (px[i * 4] !== grey(truth.page[(y + y0) * truth.w + x + x0], hi)) wrong++;
          }
        }
        expect(wrong).toBe(0);
        expect(greyPx).toBeGreaterThan(0.95 * c.w * c.h);
        // the level-0 chunks the window covers, each once, and no other chunk
        const want = new Set<string>();
        for (let cy = Math.floor(y0 / CHUNK); cy * CHUNK < y1; cy++) {
          for (let cx = Math.floor(x0 / CHUNK); cx * CHUNK < x1; cx++) want.add(v2 ? `/slide/${name}/0/0.0.0.${cy}.${cx}` : `/slide/${name}/0/c/0/${cy}/${cx}`);
        }
        const got = reqs.slice(before).filter((p) => !isMeta(p));
        expect(got.sort()).toEqual([...want].sort());
        await shot(page, v2 ? "slide-zarr-v2" : "slide-zarr");
      } finally {
        await page.close();
        await served.stop();
      }
    }, 120_000);
  }

  it("a larger pyramid: the overview is the coarsest level of 512 px or more, read from its chunks only", async () => {
    // a smooth uint16 field of 1300 x 1100 px in 3 levels (1300, 650, 325 px wide): the overview is level 1, every 2nd pixel
    const slide = path.join(tmp, "big.zarr");
    const level1: { page: number[]; h: number; w: number } = pyZarr3(
      `${WRITE_OME}
import json, sys
inp = json.loads(sys.stdin.read())
y, x = np.mgrid[0:1100, 0:1300]
img = (1000 + 800 * np.sin(y / 37.0) * np.cos(x / 23.0) + (x * 7 + y * 3) % 500).astype(np.uint16)[None]
write_ome(inp["out"], img, 3, False)
p = np.asarray(zarr.open_group(inp["out"], mode="r")["1"][0])
print(json.dumps({"page": [int(v) for v in p.ravel()], "h": int(p.shape[0]), "w": int(p.shape[1])}))
`,
      { out: slide },
    );
    const served = await view([dataset, "--slide", slide, "--viewer", dist]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const reqs = slideRequests(page);
    try {
      await page.goto(served.url);
      await page.waitForSelector('#slide-overview[data-drawn="1"]', { timeout: 30_000 });
      const step = Math.ceil(level1.w / 512);
      const [W, H] = await page.$eval("#slide-overview", (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
      expect([W, H]).toEqual([Math.ceil(level1.w / step), Math.ceil(level1.h / step)]);
      const chunks = reqs.filter((p) => !isMeta(p));
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.every((p) => p.startsWith("/slide/big.zarr/1/c/"))).toBe(true);
      // its grey pixels are level 1's every step-th pixel
      const vals: number[] = [];
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) vals.push(level1.page[y * step * level1.w + x * step]);
      const hi = Math.max(1, Float32Array.from(vals).sort()[Math.floor(0.995 * (vals.length - 1))]);
      const ov = await canvasPixels(page, "#slide-overview");
      let wrong = 0;
      for (let i = 0; i < W * H; i++) if (ov[i * 4] === ov[i * 4 + 1] && ov[i * 4] !== grey(vals[i], hi)) wrong++;
      expect(wrong).toBe(0);
    } finally {
      await page.close();
      await served.stop();
    }
  }, 120_000);
});
