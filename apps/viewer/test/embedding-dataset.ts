// A synthetic dataset with an embedding, written by zarr-python 3 alone (the
// layout of docs/format.md, Zarr v3, consolidated): N cells of 3 channels
// (nucleus mask, DNA, PH3 as raw uint16 counts), obs with the cellID, a
// categorical `cluster`, a numeric `score`, a string `label` and centroids, and
// obsm/X_umap (N x 2, float32): a blob per cluster. Chunks of 1024 cells keep
// a million cells to ~1,000 files. What zarr-python then reads back (the
// oracle of the tests) goes to raw little-endian files next to the store.
import { readFileSync } from "node:fs";
import { pyZarr3 } from "../../../test-utils/oracle.js";

export const EMB_CHANNELS = ["nucleus_mask", "DNA", "PH3"];
export const EMB_SIZE = 8;
export const CLUSTERS = 6;

const WRITE = `
import json, sys, numpy as np, zarr
inp = json.loads(sys.stdin.read())
N, S, out, K = inp["n"], inp["size"], inp["out"], inp["clusters"]
CH = ["nucleus_mask", "DNA", "PH3"]
C = len(CH)
rng = np.random.default_rng(11)
def enc(node, t, v): node.attrs.update({"encoding-type": t, "encoding-version": v})
root = zarr.open_group(out, mode="w", zarr_format=3)
enc(root, "anndata", "0.1.0")
def strings(g, name, values):
    a = g.create_array(name, shape=(len(values),), dtype=str, chunks=(min(len(values), 262144),))
    a[:] = np.array(values, dtype=object)
    enc(a, "string-array", "0.2.0")
cluster = rng.integers(0, K, N)
score = rng.random(N)
obs = root.create_group("obs"); enc(obs, "dataframe", "0.2.0")
obs.attrs.update({"_index": "_index", "column-order": ["scportrait_cell_id", "cluster", "score", "label", "centroid_y", "centroid_x"]})
strings(obs, "_index", [str(i) for i in range(N)])
a = obs.create_array("scportrait_cell_id", shape=(N,), dtype="uint64"); a[:] = 7 + 3 * np.arange(N, dtype=np.uint64); enc(a, "array", "0.2.0")
cats = ["c%d" % k for k in range(K)]
cg = obs.create_group("cluster"); enc(cg, "categorical", "0.2.0"); cg.attrs["ordered"] = False
strings(cg, "categories", cats)
a = cg.create_array("codes", shape=(N,), dtype="int8"); a[:] = cluster.astype(np.int8)
a = obs.create_array("score", shape=(N,), dtype="float64"); a[:] = score; enc(a, "array", "0.2.0")
strings(obs, "label", np.where(score > 0.5, "high", "low").tolist())
for name, hi in (("centroid_y", 1500.0), ("centroid_x", 2000.0)):
    a = obs.create_array(name, shape=(N,), dtype="float64"); a[:] = rng.uniform(0, hi, N); enc(a, "array", "0.2.0")
var = root.create_group("var"); enc(var, "dataframe", "0.2.0")
var.attrs.update({"_index": "_index", "column-order": ["channels"]})
strings(var, "_index", [str(i) for i in range(C)])
strings(var, "channels", CH)
uns = root.create_group("uns"); enc(uns, "dict", "0.1.0")
sci = uns.create_group("single_cell_images"); enc(sci, "dict", "0.1.0")
strings(sci, "channel_mapping", ["mask", "image_channel", "image_channel"])
obsm = root.create_group("obsm"); enc(obsm, "dict", "0.1.0")
ang = 2 * np.pi * cluster / K
umap = np.stack([10 * np.cos(ang) + rng.normal(0, 1.6, N), 6 * np.sin(ang) + rng.normal(0, 1.6, N)], 1).astype(np.float32)
a = obsm.create_array("X_umap", shape=(N, 2), dtype="float32", chunks=(min(N, 262144), 2)); a[:] = umap; enc(a, "array", "0.2.0")
CH_N = 1024
d = obsm.create_array("single_cell_images", shape=(N, C, S, S), dtype="uint16", chunks=(min(N, CH_N), C, S, S))
enc(d, "array", "0.2.0")
yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
for s0 in range(0, N, CH_N):
    n = min(CH_N, N - s0)
    cy = S / 2 + rng.uniform(-1, 1, (n, 1, 1)); cx = S / 2 + rng.uniform(-1, 1, (n, 1, 1))
    r2 = (yy - cy) ** 2 + (xx - cx) ** 2
    blk = np.zeros((n, C, S, S), np.float32)
    blk[:, 0] = r2 < 5
    blk[:, 1] = np.exp(-r2 / 6) * rng.uniform(300, 1200, (n, 1, 1)) + rng.uniform(0, 60, (n, S, S))
    blk[:, 2] = np.exp(-r2 / 3) * rng.uniform(0, 900, (n, 1, 1)) + rng.uniform(0, 30, (n, S, S))
    d[s0:s0 + n] = blk.astype(np.uint16)
zarr.consolidate_metadata(out)
# the oracle: what zarr-python reads back from the store
g = zarr.open_group(out, mode="r")
g["obsm/X_umap"][:].astype("<f4").tofile(out + ".umap.f32")
g["obs/cluster/codes"][:].astype("<i1").tofile(out + ".cluster.i8")
g["obs/scportrait_cell_id"][:].astype("<f8").tofile(out + ".ids.f64")
g["obs/score"][:].astype("<f8").tofile(out + ".score.f64")
np.stack([g["obs/centroid_x"][:], g["obs/centroid_y"][:]], 1).astype("<f8").tofile(out + ".centroid.f64")
print(json.dumps({"ok": True}))
`;

export interface EmbeddingTruth {
  n: number;
  umap: Float32Array;
  cluster: Int8Array;
  ids: Float64Array;
  score: Float64Array;
  /** (x, y) a cell. */
  centroid: Float64Array;
}

/** Writes the store at `out` and returns what zarr-python reads back from it. */
export function writeEmbeddingDataset(out: string, n: number): EmbeddingTruth {
  pyZarr3(WRITE, { n, size: EMB_SIZE, out: out, clusters: CLUSTERS });
  const raw = (ext: string) => {
    const b = readFileSync(`${out}.${ext}`);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  return { n, umap: new Float32Array(raw("umap.f32")), cluster: new Int8Array(raw("cluster.i8")), ids: new Float64Array(raw("ids.f64")), score: new Float64Array(raw("score.f64")), centroid: new Float64Array(raw("centroid.f64")) };
}

/** Cells `rows` of the store as zarr-python reads them: (rows, C, S, S) as numbers. */
export function readImages(store: string, rows: number[]): number[][] {
  return pyZarr3(
    `
import json, sys, numpy as np, zarr
inp = json.loads(sys.stdin.read())
a = zarr.open_group(inp["path"], mode="r")["obsm/single_cell_images"]
print(json.dumps([a[r].astype(np.float64).ravel().tolist() for r in inp["rows"]]))
`,
    { path: store, rows },
  );
}
