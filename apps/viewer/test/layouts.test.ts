// Every single-cell layout scPortrait and SPARCSpy wrote (test-data/layouts)
// opens in the viewer over HTTP range requests: all cells in the grid with
// the cellIDs h5py reads, the channel names of the layout in the channel menu.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, gridIds, launch, openViewer, serveDataset } from "./harness.js";

const canRun = existsSync(CHROMIUM) && !skipPeer("latest");
const DIR = path.join(TEST_DATA, "layouts");
let browser: Browser;
let dist: string;

beforeAll(async () => {
  if (!canRun) return;
  dist = buildViewer();
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** The cellIDs as h5py reads them: the obs column of each scPortrait version, or column 1 of SPARCSpy's index. */
function h5pyIds(file: string): number[] {
  return pyPeer(
    "latest",
    `import json, sys, h5py
with h5py.File(json.loads(sys.stdin.read()), "r") as f:
    if "single_cell_index" in f:
        ids = f["single_cell_index"][:, 1]
    else:
        ids = f["obs/scportrait_cell_id" if "scportrait_cell_id" in f["obs"] else "obs/cell_id"][:]
    print(json.dumps([int(i) for i in ids]))`,
    file,
  );
}

const FILES: [string, string[]][] = [
  ["scportrait-1.3.0.h5adsc", ["seg_all_nucleus", "ch0", "ch1"]],
  ["scportrait-1.3.1.h5sc", ["seg_all_nucleus", "ch0", "ch1"]],
  ["scportrait-1.3.3.h5sc", ["seg_all_nucleus", "ch0", "ch1"]],
  ["numpy_to_h5sc.h5sc", ["seg_all_nucleus", "ch0", "ch1"]],
  ["sparcspy.h5", ["0", "1", "2"]],
];

describe.skipIf(!canRun).each(FILES)("%s in the viewer", (name, channels) => {
  const file = path.join(DIR, name);
  let page: Page;
  let server: Awaited<ReturnType<typeof serveDataset>>;

  beforeAll(async () => {
    server = await serveDataset(file, dist);
    page = await openViewer(browser, server.url, { width: 1000, height: 700 });
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it("shows every cell with the cellIDs h5py reads and the layout's channel names", async () => {
    const ids = h5pyIds(file);
    expect(await page.getAttribute("#shown", "data-count")).toBe(String(ids.length));
    expect((await gridIds(page)).flat()).toEqual(ids);
    const options = await page.$$eval("#ch-grey option", (els) => els.map((e) => (e as HTMLOptionElement).textContent));
    for (const c of channels) expect(options.join("|")).toContain(c);
  });
});
