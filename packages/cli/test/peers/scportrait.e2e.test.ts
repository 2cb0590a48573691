// scPortrait 1.7.0 itself (the "scportrait" peer: its read_h5sc, numpy_to_h5sc,
// write_h5sc and H5ScSingleCellDataset, with anndata 0.11 and PyTorch) against
// our files: the .h5sc `cellfolio extract` writes, and that file converted to
// Zarr v3 and back, load in read_h5sc and, through a PyTorch DataLoader with 2
// workers, in H5ScSingleCellDataset with the images, cellIDs and channel names
// our lazy reader returns; files scPortrait writes open here equal.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Dataset, openDataset } from "@cellfolio/lazy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyPeer, REPO_ROOT, SCPORTRAIT_PREAMBLE, skipPeer, TEST_DATA } from "../../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-peers-scportrait-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  expect(res.status, `cellfolio ${args.join(" ")}: ${res.stderr}`).toBe(0);
}

/** sha256 of all images as little-endian float32, rows in order (float16 -> float32 is exact). */
async function ours(ds: Dataset) {
  const cells = await ds.getCells(Array.from({ length: ds.nCells }, (_, i) => i));
  const f32 = cells.data instanceof Float32Array ? cells.data : new Float32Array(cells.data);
  return {
    sha: createHash("sha256").update(Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)).digest("hex"),
    ids: cells.cellIds,
    first: Array.from(f32.subarray(0, ds.shape[1] * ds.shape[2] * ds.shape[3])),
  };
}

const READ = `${SCPORTRAIT_PREAMBLE}
import json, hashlib, numpy as np, torch
from torch.utils.data import DataLoader
p = json.loads(sys.stdin.read())
def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()
a = read_h5sc(p)
im = a.obsm["single_cell_images"]
out = {
  "n_obs": a.n_obs, "shape": list(im.shape), "dtype": str(im.dtype), "sha": sha(im[:]),
  "ids": [int(x) for x in a.obs["scportrait_cell_id"]],
  "channels": [str(x) for x in a.var["channels"]],
  "uns_channel_names": [str(x) for x in a.uns["single_cell_images"]["channel_names"]],
}
ds = H5ScSingleCellDataset([p], [7], return_id=True)
out["dataset_len"] = len(ds)
xs, labels, ids = [], [], []
for x, label, cid in DataLoader(ds, batch_size=16, shuffle=False, num_workers=2):
    xs.append(x.numpy()); labels += label.tolist(); ids += cid.tolist()
xs = np.concatenate(xs)
out.update({"loader_sha": sha(xs), "loader_dtype": str(xs.dtype), "loader_ids": ids,
            "loader_labels": sorted(set(labels)), "loader_first": xs[0].ravel().tolist()})
print(json.dumps(out))
`;

describe.skipIf(skipPeer("scportrait"))("scPortrait 1.7 reads our .h5sc", () => {
  const h5 = path.join(dir, "sample.h5sc");
  const v3 = path.join(dir, "sample.zarr");
  const back = path.join(dir, "sample.back.h5sc");

  beforeAll(() => {
    cellfolio(
      "extract",
      "--image", path.join(SAMPLE, "image.tif"),
      "--nucleus", path.join(SAMPLE, "nucleus.tif"),
      "--cytosol", path.join(SAMPLE, "cytosol.tif"),
      "--labels", path.join(SAMPLE, "labels.csv"),
      "--channel-names", "DNA,PH3,cellbody",
      "--size", "48",
      "--out", h5, "--quiet",
    );
    cellfolio("convert", h5, v3, "--quiet");
    cellfolio("convert", v3, back, "--quiet");
  });

  for (const [kind, file] of [["extract's .h5sc", h5], [".h5sc -> Zarr v3 -> .h5sc", back]] as const) {
    it(`${kind}: read_h5sc and H5ScSingleCellDataset (DataLoader, 2 workers) give our images, cellIDs and channel names`, async () => {
      const r = pyPeer("scportrait", READ, file);
      const ds = await openDataset(file);
      const o = await ours(ds);
      expect(r.n_obs).toBe(ds.nCells);
      expect(r.shape).toEqual(ds.shape);
      expect(r.dtype).toBe("float16");
      expect(r.sha).toBe(o.sha);
      expect(r.ids).toEqual(o.ids);
      expect(r.channels).toEqual(ds.channelNames);
      expect(r.uns_channel_names).toEqual(ds.channelNames);
      expect(r.dataset_len).toBe(ds.nCells);
      expect(r.loader_dtype).toBe("float32");
      expect(r.loader_ids).toEqual(o.ids);
      expect(r.loader_labels).toEqual([7]);
      expect(r.loader_first).toEqual(o.first);
      expect(r.loader_sha).toBe(o.sha);
      await ds.close();
    });
  }
});

const WRITE = `${SCPORTRAIT_PREAMBLE}
import json, hashlib, numpy as np
p = json.loads(sys.stdin.read())
def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()
rng = np.random.default_rng(18)
n, size = 23, 20
masks = (rng.random((n, 2, size, size)) > 0.5).astype(np.float32)
imgs = rng.random((n, 3, size, size)).astype(np.float32)
ids = rng.choice(np.arange(1, 10**6), size=n, replace=False).astype(np.uint64)
numpy_to_h5sc(["nucleus", "cytosol"], ["DNA", "PH3", "Tubulin"], masks, imgs, p["np"], ids, compression_type="gzip")
a = read_h5sc(p["np"])
a.obsm["single_cell_images"] = a.obsm["single_cell_images"][:]   # write_h5sc takes in-memory images only
a = a[::2].copy()
write_h5sc(a, p["w"], compression_type="lzf")
expected = np.concatenate([masks, imgs], axis=1).astype(np.float16)
print(json.dumps({
  "np": {"sha": sha(expected), "ids": [int(x) for x in ids], "shape": list(expected.shape)},
  "w": {"sha": sha(expected[::2]), "ids": [int(x) for x in ids[::2]], "shape": list(expected[::2].shape)},
  "channels": ["nucleus", "cytosol", "DNA", "PH3", "Tubulin"],
}))
`;

describe.skipIf(skipPeer("scportrait"))("files scPortrait 1.7 writes open here", () => {
  it("numpy_to_h5sc (gzip) and write_h5sc (lzf): openDataset gives equal images, cellIDs and channel names", async () => {
    const files = { np: path.join(dir, "numpy_to_h5sc.h5sc"), w: path.join(dir, "write_h5sc.h5sc") };
    const r = pyPeer("scportrait", WRITE, files);
    for (const k of ["np", "w"] as const) {
      const ds = await openDataset(files[k]);
      const o = await ours(ds);
      expect(ds.shape).toEqual(r[k].shape);
      expect(o.ids).toEqual(r[k].ids);
      expect(ds.cellIds).toEqual(r[k].ids);
      expect(ds.channelNames).toEqual(r.channels);
      expect(o.sha).toBe(r[k].sha);
      const byId = await ds.getByCellId(r[k].ids[1]);
      expect(byId.rows).toEqual([1]);
      await ds.close();
    }
  });
});
