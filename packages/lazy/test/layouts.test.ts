// Every single-cell layout scPortrait and SPARCSpy wrote over their versions
// (test-data/layouts, made by make_layouts.py as each version's source
// writes): opened by cellID, each cell equal to what h5py reads from the
// same file; converted to Zarr v3 and back, equal again.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { convert, detectLayout, openStore } from "@cellfolio/format";
import "@cellfolio/format/node";
import { afterAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";
import { openDataset } from "../src/index.js";

const DIR = path.join(TEST_DATA, "layouts");
const expected: Record<string, { cellIds: number[]; channelNames: string[] }> = JSON.parse(readFileSync(path.join(DIR, "expected.json"), "utf8"));
const tmp = mkdtempSync(path.join(tmpdir(), "lazy-layouts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LAYOUTS: Record<string, { id: string; images: string; name: RegExp }> = {
  "scportrait-1.3.0.h5adsc": { id: "scportrait-1.3.0", images: "obsm/single_cell_images", name: /^scPortrait 1\.3\.0 \(cell_id uint32, var columns as channel names, pipeline\)/ },
  "scportrait-1.3.1.h5sc": { id: "scportrait-1.3.1", images: "obsm/single_cell_images", name: /^scPortrait 1\.3\.1-1\.3\.2 \(cell_id uint64/ },
  "scportrait-1.3.3.h5sc": { id: "scportrait-1.3.3", images: "obsm/single_cell_images", name: /^scPortrait >= 1\.3\.3 \(scportrait_cell_id uint64, pipeline\)/ },
  "numpy_to_h5sc.h5sc": { id: "scportrait-1.3.3", images: "obsm/single_cell_images", name: /numpy_to_h5sc \/ write_h5sc/ },
  "sparcspy.h5": { id: "sparcspy", images: "single_cell_data", name: /^SPARCSpy/ },
};

/** h5py's read of the images (as float32), the compression and, where stored, the cellIDs. */
function h5pyRead(file: string, images: string) {
  return pyPeer(
    "latest",
    `import json, sys, h5py, numpy as np
a = json.loads(sys.stdin.read())
with h5py.File(a["file"], "r") as f:
    d = f[a["images"]]
    print(json.dumps({"shape": list(d.shape), "values": d[()].astype(np.float32).ravel().tolist(), "compression": d.compression}))`,
    { file, images },
  ) as { shape: number[]; values: number[]; compression: string };
}

async function expectCellsEqual(file: string, want: { shape: number[]; values: number[] }, ids: number[], names: string[]) {
  const ds = await openDataset(file);
  try {
    expect(ds.shape).toEqual(want.shape);
    expect(ds.cellIds).toEqual(ids);
    expect(ds.channelNames).toEqual(names);
    const per = want.shape[1] * want.shape[2] * want.shape[3];
    // by cellID, in an order other than the rows', so a row / id mix-up shows
    const order = [...ids.keys()].reverse();
    const cells = await ds.getByCellId(order.map((r) => ids[r]));
    order.forEach((row, k) => {
      expect(Array.from(cells.data.subarray(k * per, (k + 1) * per))).toEqual(want.values.slice(row * per, (row + 1) * per));
    });
  } finally {
    await ds.store.close();
  }
}

describe.skipIf(skipPeer("latest"))("layouts of scPortrait 1.3.0 to 1.7 and SPARCSpy", () => {
  describe.each(Object.keys(LAYOUTS))("%s", (name) => {
    const file = path.join(DIR, name);
    const { id, images, name: label } = LAYOUTS[name];
    const want = expected[name];

    it("is told apart as the layout it is", async () => {
      const store = await openStore(file);
      try {
        const layout = await detectLayout(store);
        expect(layout?.id).toBe(id);
        expect(layout?.imagesPath).toBe(images);
        expect(layout?.name).toMatch(label);
      } finally {
        await store.close();
      }
    });

    it("opens by cellID with every cell equal to h5py's read", async () => {
      const ref = h5pyRead(file, images);
      // the files are written as each writer does: lzf by the pipelines, gzip by numpy_to_h5sc
      expect(ref.compression).toBe(name === "numpy_to_h5sc.h5sc" ? "gzip" : "lzf");
      await expectCellsEqual(file, ref, want.cellIds, want.channelNames);
    });

    it("converts to Zarr v3 and back with equal images, cellIDs and channel names", async () => {
      const ref = h5pyRead(file, images);
      const zarr = path.join(tmp, `${name}.zarr`);
      const back = path.join(tmp, `${name}.back.h5sc`);
      await convert(file, zarr, { zarrFormat: 3 });
      await expectCellsEqual(zarr, ref, want.cellIds, want.channelNames);
      await convert(zarr, back);
      // the file back is scPortrait's current layout (SPARCSpy's too), judged by h5py
      const again = h5pyRead(back, "obsm/single_cell_images");
      expect(again.values).toEqual(ref.values);
      await expectCellsEqual(back, ref, want.cellIds, want.channelNames);
    });
  });

  it("reads the image size from image_size or image_size_x", async () => {
    const pipeline = await openDataset(path.join(DIR, "scportrait-1.3.3.h5sc"));
    const numpy = await openDataset(path.join(DIR, "numpy_to_h5sc.h5sc"));
    expect([pipeline.info.imageSize, numpy.info.imageSize]).toEqual([8, 8]);
    expect(pipeline.layout.imageSizeKey).toBe("image_size");
    expect(numpy.layout.imageSizeKey).toBe("image_size_x");
    await pipeline.store.close();
    await numpy.store.close();
  });
});
