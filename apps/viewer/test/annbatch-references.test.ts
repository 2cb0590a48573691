// Stores that other tools read, opened by the viewer in Chromium over HTTP on
// 127.0.0.1: an annbatch collection written from our .h5sc (the README's
// round trip; one dataset, and one dataset of three by its URL inside the
// collection), and a kerchunk reference file of an .h5sc served beside it
// (every read of the .h5sc a range request). Each shows the cellIDs in the
// order the store holds them (zarr-python / h5py), the channel names, and a
// cell's pixels equal to the .h5sc's for its cellID.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Dataset, openDataset } from "@cellfolio/lazy";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCollections } from "../../../test-utils/annbatch.js";
import { hasPeer, pyPeer } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, canvasPixels, cli, gridIds, launch, openViewer, serveDataset } from "./harness.js";

const canRun = existsSync(CHROMIUM) && hasPeer("latest");
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-viewer-peer-stores-"));
let browser: Browser;
let dist: string;
let src: Dataset;

beforeAll(async () => {
  if (!canRun) return;
  cli(["--version"]); // built
  makeCollections(tmp);
  // the reference file beside its .h5sc, pointing at it by a relative path
  mkdirSync(path.join(tmp, "refs"));
  copyFileSync(path.join(tmp, "out/sample.h5sc"), path.join(tmp, "refs/sample.h5sc"));
  cli(["reference", path.join(tmp, "refs/sample.h5sc"), path.join(tmp, "refs/sample.json")]);
  src = await openDataset(path.join(tmp, "out/sample.h5sc"));
  dist = buildViewer();
  browser = await launch();
}, 300_000);

afterAll(async () => {
  await src?.close();
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The cellIDs of a store in row order: obs/scportrait_cell_id of a Zarr group (zarr-python) or of an .h5sc (h5py). */
function storeIds(store: string, group = ""): number[] {
  return pyPeer(
    "latest",
    `import json, sys, h5py, zarr
p = json.loads(sys.stdin.read())
g = h5py.File(p["store"], "r") if p["store"].endswith(".h5sc") else zarr.open_group(p["store"], mode="r")
if p["group"]: g = g[p["group"]]
print(json.dumps([int(i) for i in g["obs/scportrait_cell_id"][:]]))`,
    { store, group },
  );
}

/** The page shows `ids` in order, the sample's channels, and the third cell's DNA as the .h5sc holds that cellID. */
async function checkPage(page: Page, ids: number[]): Promise<void> {
  expect(ids.length).toBeGreaterThan(20);
  expect(await page.getAttribute("#shown", "data-count")).toBe(String(ids.length));
  const shown = (await gridIds(page)).flat();
  expect(shown.length).toBeGreaterThan(10);
  expect(shown).toEqual(ids.slice(0, shown.length));
  const options = await page.$$eval("#ch-grey option", (els) => els.map((e) => (e as HTMLOptionElement).textContent ?? ""));
  for (const c of src.channelNames) expect(options.join("|")).toContain(c);
  const col = 2; // third tile of the first line
  await page.click(".line >> nth=0 >> canvas", { position: { x: col * 102 + 48, y: 48 } });
  await page.waitForSelector('#detail-channels canvas[data-channel="DNA"]');
  expect(await page.getAttribute("#detail", "data-cell-id")).toBe(String(ids[col]));
  const px = await canvasPixels(page, '#detail-channels canvas[data-channel="DNA"]');
  const want = (await src.getByCellId(ids[col], { channels: ["DNA"] })).data;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(px[i * 4] - Math.min(255, Math.max(0, want[i] * 255))));
  expect(worst).toBeLessThanOrEqual(0.5 + 1e-9); // rounding only
  expect(Math.max(...want)).toBeGreaterThan(0.2); // a real cell, not an empty crop
}

describe.skipIf(!canRun)("the viewer on stores other tools read", () => {
  const cases: [string, () => { dataset: string; open?: string; ids: () => number[] }][] = [
    ["an annbatch collection of one dataset (the collection's URL)", () => ({ dataset: path.join(tmp, "out/collection.zarr"), ids: () => storeIds(path.join(tmp, "out/collection.zarr"), "dataset_0") })],
    ["dataset_1 of an annbatch collection of three (its URL inside the collection)", () => ({ dataset: path.join(tmp, "out/three.zarr"), open: "dataset_1", ids: () => storeIds(path.join(tmp, "out/three.zarr"), "dataset_1") })],
    ["a kerchunk reference file served beside its .h5sc", () => ({ dataset: path.join(tmp, "refs"), open: "sample.json", ids: () => storeIds(path.join(tmp, "refs/sample.h5sc")) })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const c = make();
      const server = await serveDataset(c.dataset, dist, c.open);
      let page: Page | undefined;
      try {
        page = await openViewer(browser, server.url, { width: 1400, height: 900 });
        await checkPage(page, c.ids());
        if (c.open === "sample.json") {
          // the chunks came from the .h5sc, every read of it a range
          const reads = server.log.filter((e) => e.path.endsWith("/refs/sample.h5sc"));
          expect(reads.length).toBeGreaterThan(3);
          expect(reads.every((e) => e.range !== undefined && e.status === 206)).toBe(true);
          expect(server.log.some((e) => e.path.endsWith("/refs/sample.json") && e.status === 200)).toBe(true);
        }
      } finally {
        await page?.close();
        await server.close();
      }
    }, 120_000);
  }
});
