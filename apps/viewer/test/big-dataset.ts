// A synthetic dataset of many small cells written by zarr-python 3 alone
// (Zarr v3 as extraction writes it: one chunk a cell, shards of 256 cells,
// consolidated): for the scrolling test, which counts the server's requests.
import { pyZarr3 } from "../../../test-utils/oracle.js";

export const SHARD = 256;
/** cellID of a row (not the row itself, so that a mix-up shows). */
export const cellIdOf = (row: number) => 1000 + 2 * row;

const WRITE = `
import json, sys, numpy as np, zarr
inp = json.loads(sys.stdin.read())
N, S, SH, out = inp["n"], inp["size"], inp["shard"], inp["out"]
CH = ["nucleus_mask", "cytosol_mask", "DNA"]
C = len(CH)
rng = np.random.default_rng(3)
def enc(node, t, v): node.attrs.update({"encoding-type": t, "encoding-version": v})
root = zarr.open_group(out, mode="w", zarr_format=3)
enc(root, "anndata", "0.1.0")
def strings(g, name, values):
    a = g.create_array(name, shape=(len(values),), dtype=str)
    a[:] = np.array(values, dtype=object)
    enc(a, "string-array", "0.2.0")
obs = root.create_group("obs"); enc(obs, "dataframe", "0.2.0")
obs.attrs.update({"_index": "_index", "column-order": ["scportrait_cell_id", "class"]})
strings(obs, "_index", [str(i) for i in range(N)])
a = obs.create_array("scportrait_cell_id", shape=(N,), dtype="uint64"); a[:] = 1000 + 2 * np.arange(N, dtype=np.uint64); enc(a, "array", "0.2.0")
a = obs.create_array("class", shape=(N,), dtype="int64"); a[:] = rng.integers(0, 4, N); enc(a, "array", "0.2.0")
var = root.create_group("var"); enc(var, "dataframe", "0.2.0")
var.attrs.update({"_index": "_index", "column-order": ["channels"]})
strings(var, "_index", [str(i) for i in range(C)])
strings(var, "channels", CH)
uns = root.create_group("uns"); enc(uns, "dict", "0.1.0")
sci = uns.create_group("single_cell_images"); enc(sci, "dict", "0.1.0")
strings(sci, "channel_mapping", ["mask", "mask", "image_channel"])
obsm = root.create_group("obsm"); enc(obsm, "dict", "0.1.0")
DT = inp["dtype"]
d = obsm.create_array("single_cell_images", shape=(N, C, S, S), dtype=DT, chunks=(1, C, S, S), shards=(SH, C, S, S))
enc(d, "array", "0.2.0")
yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
for s0 in range(0, N, SH):
    n = min(SH, N - s0)
    cy = S / 2 + rng.uniform(-2, 2, (n, 1, 1)); cx = S / 2 + rng.uniform(-2, 2, (n, 1, 1))
    r2 = (yy - cy) ** 2 + (xx - cx) ** 2
    blk = np.zeros((n, C, S, S), np.float32)
    blk[:, 2] = np.exp(-r2 / (2 * rng.uniform(2, 4, (n, 1, 1)) ** 2)) * rng.uniform(0.3, 1, (n, 1, 1))
    blk[:, 0] = r2 < 9; blk[:, 1] = r2 < 36
    if DT == "uint16": blk[:, 2] *= 3000  # raw camera counts, not normalised
    d[s0:s0 + n] = blk.astype(DT)
zarr.consolidate_metadata(out)
print(json.dumps({"ok": True}))
`;

export function writeBigDataset(out: string, n: number, size = 16, dtype: "float16" | "uint16" = "float16"): void {
  pyZarr3(WRITE, { n, size, shard: SHARD, out: out, dtype });
}
