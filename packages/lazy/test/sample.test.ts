// The bundled sample (291 real HT29 cells) extracted by cellfolio itself,
// then read back lazily: values equal to what zarr-python / h5py read from
// the same output, and the training labels equal to labels.csv.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { extract } from "@cellfolio/extract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, TEST_DATA } from "../../../test-utils/oracle.js";
import { batches, openDataset } from "../src/index.js";

const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "lazy-sample-"));
const outputs: Record<string, string> = {};

beforeAll(async () => {
  // The extract package (a devDependency: its built dist) writes the datasets.
  for (const [name, extra] of [
    ["sample.zarr", { zarrFormat: 3 }],
    ["sample.h5sc", {}],
  ] as const) {
    outputs[name] = path.join(dir, name);
    await extract({
      image: path.join(SAMPLE, "image.tif"),
      nucleus: path.join(SAMPLE, "nucleus.tif"),
      cytosol: path.join(SAMPLE, "cytosol.tif"),
      labels: path.join(SAMPLE, "labels.csv"),
      channelNames: ["DNA", "PH3", "CellBody"],
      size: 48,
      threads: 0,
      out: outputs[name],
      ...extra,
    });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const labelsCsv = () => {
  const [head, ...lines] = readFileSync(path.join(SAMPLE, "labels.csv"), "utf8").trim().split("\n");
  const cols = head.split(",");
  return new Map(lines.map((l) => l.split(",")).map((v) => [Number(v[cols.indexOf("cellID")]), Number(v[cols.indexOf("mitotic")])]));
};

const READ = `
import json, sys, numpy as np
inp = json.loads(sys.stdin.read())
p, rows = inp["path"], inp["rows"]
if p.endswith(".zarr"):
    import zarr
    g = zarr.open_group(p, mode="r")
else:
    import h5py
    g = h5py.File(p, "r")
ids = g["obs/scportrait_cell_id"][:]
imgs = np.stack([g["obsm/single_cell_images"][r] for r in rows]).astype(np.float32)
print(json.dumps({"ids": [int(i) for i in ids], "images": imgs.ravel().tolist()}))
`;

describe.each(["sample.zarr", "sample.h5sc"])("%s written by cellfolio extract", (name) => {
  it("reads cells by id equal to zarr-python / h5py, with the labels of labels.csv", async (ctx) => {
    if (name.endsWith(".zarr") && !hasZarr3()) return ctx.skip();
    const file = outputs[name];
    const ds = await openDataset(file);
    const want = name.endsWith(".zarr") ? pyZarr3(READ, { path: file, rows: [0, 7, 100] }) : py(READ, { path: file, rows: [0, 7, 100] });
    expect(ds.cellIds).toEqual(want.ids);
    expect(ds.nCells).toBeGreaterThan(200);
    expect(ds.shape.slice(1)).toEqual([5, 48, 48]);
    expect(ds.channelNames.slice(2)).toEqual(["DNA", "PH3", "CellBody"]);
    expect(ds.info.imageSize).toBe(48);
    const got = await ds.getByCellId([0, 7, 100].map((r) => ds.cellIds[r]));
    expect(Array.from(got.data)).toEqual(want.images);
    const mitotic = labelsCsv();
    let n = 0;
    for await (const b of batches(ds, { batchSize: 64, seed: 1, labelColumn: "mitotic" })) {
      b.cellIds.forEach((id, i) => {
        expect(b.labels![i]).toBe(mitotic.get(id));
      });
      n += b.rows.length;
    }
    expect(n).toBe(ds.nCells);
    await ds.close();
  });
});
