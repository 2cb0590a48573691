// Labelling cells in the page and saving them through `cellfolio view
// --annotate`: 20 cells labelled with the keyboard (a stream through the
// detail, a selection, the cell under the pointer), kept over a reload, saved
// as an obs column that anndata (latest) and our reader read back, and as a
// CSV that `extract --labels` takes and `batches({ labelColumn })` serves.
// The expected labels are the test's own record of the keys it pressed.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { batches, openDataset } from "@cellfolio/lazy";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasPeer, pyPeer, TEST_DATA } from "../../../test-utils/oracle.js";
import { buildViewer, CHROMIUM, CLI, cli, launch, openViewer, shot } from "./harness.js";

const canRun = existsSync(CHROMIUM) && hasPeer("latest");
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-labels-"));
const sample = path.join(TEST_DATA, "sample");
const CLASSES = ["interphase", "mitotic", "debris, or two cells"]; // a comma: the CSV must quote it
let browser: Browser;
let dist: string;

beforeAll(async () => {
  if (!canRun) return;
  dist = buildViewer();
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** `cellfolio view --annotate`: the URL it prints (with the token in its fragment). */
async function view(dataset: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, "view", dataset, "--viewer", dist, "--annotate"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = await new Promise<string>((ok, fail) => {
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?url=\S+#annotate=[\w-]+)\n/.exec(out);
      if (m) ok(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`view exited ${code}: ${out}`)));
  });
  return { url, child };
}

/**
 * The place of a cell's tile in the grid: its line's canvas and the centre of
 * the tile. Two frames first: when the detail panel opens or closes the grid
 * lays its lines out again from a ResizeObserver, which runs in the next
 * frame; a place read before it is a place in the old layout (another cell).
 */
async function tile(page: Page, cellId: number): Promise<{ line: number; x: number; y: number }> {
  await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
  const where = await page.$$eval(
    ".line",
    (els, id) => {
      for (let i = 0; i < els.length; i++) {
        const ids = ((els[i] as HTMLElement).dataset.cellIds ?? "").split(",").map(Number);
        const col = ids.indexOf(id);
        if (col >= 0) {
          const c = els[i].querySelector("canvas") as HTMLCanvasElement;
          const t = c.height - 15;
          return { line: i, x: col * (t + 6) + t / 2, y: t / 2 };
        }
      }
      return null;
    },
    cellId,
  );
  if (!where) throw new Error(`cell ${cellId} is not in the grid's lines`);
  return where;
}

/** What anndata (latest) reads of the label column, the cellIDs, another obs column and the images' checksum. */
function anndataRead(dataset: string, column: string): { ids: number[]; labels: (string | null)[]; categories: string[]; mitotic: number[]; images: number; layout: unknown } {
  return pyPeer(
    "latest",
    `
import json, sys, numpy as np, anndata as ad
inp = json.loads(sys.stdin.read())
p = inp["path"]
a = ad.read_zarr(p) if p.endswith(".zarr") else ad.read_h5ad(p)
col = a.obs[inp["column"]] if inp["column"] in a.obs else None
if p.endswith(".zarr"):
    layout = json.load(open(p + "/obsm/single_cell_images/zarr.json"))
else:
    import h5py
    with h5py.File(p, "r") as f:
        d = f["obsm/single_cell_images"]
        layout = [list(d.chunks), d.compression, d.compression_opts, str(d.dtype)]
labels = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in col.astype(object)] if col is not None else []
print(json.dumps({"ids": [int(i) for i in a.obs["scportrait_cell_id"]], "labels": labels,
  "categories": [str(c) for c in col.cat.categories] if col is not None else [],
  "mitotic": [int(v) for v in a.obs["mitotic"]],
  "images": float(np.asarray(a.obsm["single_cell_images"], dtype=np.float64).sum()), "layout": layout}))
`,
    { path: dataset, column },
  );
}

describe.skipIf(!canRun)("labelling cells with the keyboard and saving them", () => {
  for (const kind of ["zarr", "h5sc"] as const) {
    describe(kind, () => {
      const dataset = path.join(tmp, `sample.${kind}`);
      let page: Page;
      let child: ChildProcess | undefined;
      let before: ReturnType<typeof anndataRead>;
      /** The test's record: cellID -> class name. */
      const given = new Map<number, string>();

      beforeAll(async () => {
        cli(["extract", "--image", `${sample}/image.tif`, "--nucleus", `${sample}/nucleus.tif`, "--cytosol", `${sample}/cytosol.tif`, "--labels", `${sample}/labels.csv`, "--channel-names", "DNA,PH3,cellbody", "--size", "48", "--out", dataset, "--quiet"]);
        before = anndataRead(dataset, "cell_class");
        const v = await view(dataset);
        child = v.child;
        // the grid beside the embedding panel must hold the cells used below
        page = await openViewer(browser, v.url, { width: 1900, height: 1200 });
      }, 180_000);

      afterAll(async () => {
        await page?.close();
        child?.kill("SIGINT");
      });

      it("labels 20 cells: a stream through the detail, a selection, the cell under the pointer", async () => {
        const ids = before.ids;
        await page.fill("#label-column", "cell_class");
        for (let k = 0; k < CLASSES.length; k++) await page.fill(`#label-classes li[data-class="${k + 1}"] input`, CLASSES[k]);
        await page.press(`#label-classes li[data-class="3"] input`, "Tab"); // change: names stored
        // 17 cells in a stream: open the first, a key labels it and opens the next
        const first = await tile(page, ids[0]);
        await page.click(`.line >> nth=${first.line} >> canvas`, { position: { x: first.x, y: first.y } });
        await page.waitForSelector(`#detail[data-cell-id="${ids[0]}"]`);
        for (let i = 0; i < 17; i++) {
          const k = (i * 7) % 3;
          await page.keyboard.press(String(k + 1));
          given.set(ids[i], CLASSES[k]);
          await page.waitForSelector(`#detail[data-cell-id="${ids[i + 1]}"]`);
        }
        // a selection of two (ctrl-click), one key for both
        for (const id of [ids[25], ids[27]]) {
          const t = await tile(page, id);
          await page.click(`.line >> nth=${t.line} >> canvas`, { position: { x: t.x, y: t.y }, modifiers: ["Control"] });
          given.set(id, CLASSES[1]);
        }
        expect(await page.getAttribute("#selected-count", "data-count")).toBe("2");
        await page.keyboard.press("2");
        expect(await page.getAttribute("#selected-count", "data-count")).toBe("0");
        // the detail closed: the cell under the pointer
        await page.keyboard.press("Escape");
        await page.waitForSelector("#detail", { state: "hidden" });
        const h = await tile(page, ids[30]);
        await page.hover(`.line >> nth=${h.line} >> canvas`, { position: { x: h.x, y: h.y } });
        await page.keyboard.press("3");
        given.set(ids[30], CLASSES[2]);
        // and one relabelled, one labelled and unlabelled again: still 20
        const f = await tile(page, ids[0]);
        await page.hover(`.line >> nth=${f.line} >> canvas`, { position: { x: f.x, y: f.y } });
        await page.keyboard.press("2");
        given.set(ids[0], CLASSES[1]);
        const u = await tile(page, ids[31]);
        await page.hover(`.line >> nth=${u.line} >> canvas`, { position: { x: u.x, y: u.y } });
        await page.keyboard.press("1");
        await page.keyboard.press("0");
        expect(given.size).toBe(20);
        expect(await page.getAttribute("#label-count", "data-count")).toBe("20");
        const counts = await page.$$eval("#label-classes .count", (els) => els.map((e) => e.textContent));
        expect(counts.slice(0, 3).map(Number)).toEqual(CLASSES.map((c) => [...given.values()].filter((v) => v === c).length));
        await page.mouse.move(5, 5);
        await page.$eval("#labels", (e) => e.scrollIntoView());
        await shot(page, `labels-${kind}`);
      });

      it("keeps the labels and class names over a reload (localStorage, per dataset)", async () => {
        await page.reload();
        await page.waitForSelector("body[data-state=open]", { timeout: 30_000 });
        expect(await page.getAttribute("#label-count", "data-count")).toBe("20");
        expect(await page.inputValue('#label-classes li[data-class="3"] input')).toBe(CLASSES[2]);
        expect(await page.inputValue("#label-column")).toBe("cell_class");
      });

      it("saves a CSV beside the dataset that extract --labels takes and batches({ labelColumn }) serves", async () => {
        await page.click("#labels-save-csv");
        await page.waitForSelector("body[data-labels-saved=csv]", { timeout: 30_000 });
        const csv = `${dataset}.labels.csv`;
        const field = (s: string) => (s.includes(",") ? `"${s}"` : s);
        const want = [...given].sort((a, b) => a[0] - b[0]).map(([id, c]) => `${id},${field(c)}`);
        expect(readFileSync(csv, "utf8")).toBe(`cellID,cell_class\n${want.join("\n")}\n`);
        if (kind !== "zarr") return; // once is enough for the extract round trip
        const out = path.join(tmp, "relabelled.zarr");
        cli(["extract", "--image", `${sample}/image.tif`, "--nucleus", `${sample}/nucleus.tif`, "--labels", csv, "--size", "32", "--out", out, "--quiet"]);
        const ds = await openDataset(out);
        try {
          // text labels become a categorical, categories sorted: the codes batches gives
          const categories = [...CLASSES].sort();
          const seen = new Map<number, number>();
          for await (const b of batches(ds, { labelColumn: "cell_class", batchSize: 50, shuffle: false })) {
            for (let i = 0; i < b.cellIds.length; i++) seen.set(b.cellIds[i], (b.labels as Int32Array)[i]);
          }
          expect(seen.size).toBe(ds.nCells);
          for (const [id, code] of seen) expect(code, `cell ${id}`).toBe(given.has(id) ? categories.indexOf(given.get(id) as string) : -1);
        } finally {
          await ds.close();
        }
      });

      it("saves into the dataset: an obs column anndata and our reader read back, the rest unchanged", async () => {
        await page.click("#labels-save-obs");
        await page.waitForSelector("body[data-labels-saved=obs]", { timeout: 60_000 });
        // the page opens the rewritten dataset again, and keeps its labels
        await page.waitForSelector("body[data-state=open]", { timeout: 30_000 });
        expect(await page.getAttribute("#label-count", "data-count")).toBe("20");
        const after = anndataRead(dataset, "cell_class");
        expect(after.ids).toEqual(before.ids);
        expect(after.mitotic).toEqual(before.mitotic);
        expect(after.images).toBe(before.images);
        // the images keep their chunks, shards and compression
        expect(after.layout).toEqual(before.layout);
        expect(after.categories).toEqual(CLASSES); // in legend order
        expect(after.labels).toEqual(after.ids.map((id) => given.get(id) ?? null));
        const ds = await openDataset(dataset);
        try {
          await ds.load();
          const cat = ds.obs.categorical.cell_class;
          expect(cat.categories).toEqual(CLASSES);
          expect(Array.from(cat.codes)).toEqual(ds.cellIds.map((id) => (given.has(id) ? CLASSES.indexOf(given.get(id) as string) : -1)));
        } finally {
          await ds.close();
        }
        // nothing else beside the dataset: no temporary left
        expect(readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);
      });
    });
  }
});
