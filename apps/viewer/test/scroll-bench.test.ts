// Benchmark (skipped unless VIEWER_BENCH=1): how long the viewer takes to
// open a large dataset and draw a screen of thumbnails after a jump, and the
// requests and bytes each costs. Sized by VIEWER_BIG_CELLS (default 50,000).
//   VIEWER_BENCH=1 npx vitest run apps/viewer/test/scroll-bench.test.ts
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { hasZarr3 } from "../../../test-utils/oracle.js";
import { writeBigDataset } from "./big-dataset.js";
import { buildViewer, CHROMIUM, launch, serveDataset } from "./harness.js";

const run = process.env.VIEWER_BENCH === "1" && existsSync(CHROMIUM) && hasZarr3();

/** Resolves once every thumbnail in view is drawn. */
const drawn = (page: Page) => page.waitForFunction(() => document.querySelector('.line canvas[data-drawn="0"]') === null, null, { polling: 10 });

it.skipIf(!run)("open and scroll a large dataset", async () => {
  const n = Number(process.env.VIEWER_BIG_CELLS ?? 50_000);
  const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-viewer-bench-"));
  const store = path.join(tmp, "cells.zarr");
  writeBigDataset(store, n);
  const server = await serveDataset(store, buildViewer());
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const reqs: { url: string; bytes: number }[] = [];
    page.on("request", (r) => {
      const e = { url: r.url(), bytes: 0 };
      reqs.push(e);
      r.response().then((res) => res?.body().then((b) => (e.bytes = b.length)), () => {});
    });
    const images = (from: number) => reqs.slice(from).filter((r) => r.url.includes("/obsm/single_cell_images/c/"));
    let t = performance.now();
    await page.goto(server.url);
    await page.waitForSelector("body[data-state=open]");
    const open = performance.now() - t;
    await drawn(page);
    const first = performance.now() - t;
    const cells = await page.$$eval(".line", (ls) => ls.reduce((a, l) => a + ((l as HTMLElement).dataset.cellIds?.split(",").length ?? 0), 0));
    console.log(`${n} cells, ${cells} in view: opened in ${open.toFixed(0)} ms, first screen drawn at ${first.toFixed(0)} ms, ${reqs.length} requests (${images(0).length} image)`);
    for (const f of [0.25, 0.5, 0.9]) {
      const from = reqs.length;
      t = performance.now();
      await page.$eval("#grid", (g, frac) => g.scrollTo(0, g.scrollHeight * frac), f);
      await page.waitForTimeout(100); // past the 80 ms scroll pause
      await drawn(page);
      const r = images(from);
      console.log(`jump to ${f * 100}%: drawn in ${(performance.now() - t).toFixed(0)} ms (incl. 100 ms wait), ${r.length} image requests, ${r.reduce((a, x) => a + x.bytes, 0)} bytes`);
      expect(r.length).toBeLessThan(cells * 2);
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
