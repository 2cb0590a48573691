// Rec-arrays stay rec-arrays: the anndata archives' rec-arrays through
// h5ad -> Zarr v2 / v3 -> h5ad, judged by anndata 0.8 (with h5py and
// zarr-python 2) and anndata 0.13 (zarr-python 3.4) against the original;
// and a rec-array of every field type we write, read by h5py, zarr-python 2
// and zarr-python 3 equal to the values this test made.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py, pyPeer, TEST_DATA } from "../../../../test-utils/oracle.js";
import { convert } from "../../src/convert.js";
import type { RecArray } from "../../src/model.js";
import { writeElem } from "../../src/registry.js";
import { createStore } from "../../src/store.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-recarrays-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every rec-array of uns (by path) as anndata reads it: field names, numpy dtypes, values. */
const PY_RECS = `
import sys, json, warnings
warnings.filterwarnings("ignore")
import numpy as np, anndata as ad
def recs(p):
    a = ad.read_zarr(p) if p.endswith(".zarr") else ad.read_h5ad(p)
    out = {}
    def walk(d, pre):
        for k, v in d.items():
            if isinstance(v, dict): walk(v, pre + k + "/")
            elif isinstance(v, np.ndarray) and v.dtype.names:
                out[pre + k] = {"names": list(v.dtype.names), "values": {n: [x.decode() if isinstance(x, bytes) else x for x in v[n].tolist()] for n in v.dtype.names}}
    walk(a.uns, "")
    return out
print(json.dumps({p: recs(p) for p in json.loads(sys.stdin.read())}))
`;

/** h5py's compound dtype and encoding of each path, and zarr-python 2's structured array of the v2 store, as values. */
const PY_RAW = `
import sys, json, h5py, zarr
inp = json.loads(sys.stdin.read())
def vals(a):
    return {n: [x.decode() if isinstance(x, bytes) else x for x in a[n].tolist()] for n in a.dtype.names}
out = {}
for k in inp["paths"]:
    with h5py.File(inp["orig"], "r") as o, h5py.File(inp["back"], "r") as b:
        z = zarr.open(inp["v2"], mode="r")[k]
        out[k] = {
            "orig": [str(o[k].dtype), vals(o[k][()])],
            "back": [str(b[k].dtype), vals(b[k][()]), b[k].attrs.get("encoding-type")],
            "zarr2": [vals(z[...]), z.attrs.get("encoding-type")],
        }
print(json.dumps(out))
`;

const ARCHIVES: Record<string, string[]> = {
  "v0.5.0": ["uns/rank_genes_groups/names", "uns/rank_genes_groups/scores"],
  "v0.7.0": ["uns/O_recarray"],
  "v0.7.8": ["uns/O_recarray"],
};

describe("rec-arrays of the anndata archives through h5ad -> Zarr -> h5ad", () => {
  for (const [version, paths] of Object.entries(ARCHIVES)) {
    it(`${version}/adata.h5ad`, async () => {
      const src = path.join(TEST_DATA, "anndata-archives", version, "adata.h5ad");
      const v2 = path.join(tmp, `${version}.v2.zarr`);
      const v3 = path.join(tmp, `${version}.v3.zarr`);
      const back2 = path.join(tmp, `${version}.from-v2.h5ad`);
      const back3 = path.join(tmp, `${version}.from-v3.h5ad`);
      expect((await convert(src, v2, { zarrFormat: 2 })).recArrays).toBe(paths.length);
      await convert(v2, back2);
      await convert(src, v3, { zarrFormat: 3 });
      await convert(v3, back3);

      // anndata 0.8 (Zarr v2 only) and anndata 0.13: the same rec-arrays as in the original
      const old = py(PY_RECS, [src, v2, back2]);
      expect(Object.keys(old[src]).sort()).toEqual(paths.map((p) => p.slice(4)).sort());
      expect(old[v2]).toEqual(old[src]);
      expect(old[back2]).toEqual(old[src]);
      const latest = pyPeer("latest", PY_RECS, [src, v2, back2, v3, back3]);
      expect(latest[src]).toEqual(old[src]);
      for (const p of [v2, back2, v3, back3]) expect(latest[p]).toEqual(latest[src]);

      // h5py: the compound dtype of the original (fixed "S" fields stay fixed, vlen stay vlen), encoded as a rec-array;
      // zarr-python 2: the structured array's values
      const raw = py(PY_RAW, { orig: src, back: back2, v2, paths });
      for (const p of paths) {
        const r = raw[p];
        expect(r.back).toEqual([r.orig[0], r.orig[1], "rec-array"]);
        expect(r.zarr2).toEqual([r.orig[1], "rec-array"]);
      }
    });
  }
});

/** A rec-array of every field type, values made here. */
function sample(): { rec: RecArray; expected: Record<string, unknown[]> } {
  const n = 4;
  const text = ["a", "bé", "", "tail/x"];
  const rec: RecArray = {
    kind: "rec-array",
    fields: {
      i8: { dtype: "int8", shape: [n], data: Int8Array.from([-128, 0, 1, 127]) },
      u16: { dtype: "uint16", shape: [n], data: Uint16Array.from([0, 1, 65535, 7]) },
      i64: { dtype: "int64", shape: [n], data: BigInt64Array.from([-(2n ** 62n), 0n, 5n, 2n ** 62n]) },
      f32: { dtype: "float32", shape: [n], data: Float32Array.from([0.5, -1.25, 3, 1e10]) },
      f64: { dtype: "float64", shape: [n], data: Float64Array.from([Math.PI, 0, 1e-300, 2]) },
      flag: { dtype: "bool", shape: [n], data: Uint8Array.from([1, 0, 0, 1]) },
      "gene/name": { dtype: "string", shape: [n], data: text },
      fixed: { dtype: "string", shape: [n], data: ["x", "yy", "zzz", ""] },
    },
    text: { fixed: { kind: "bytes", size: 3 } },
  };
  const expected = {
    i8: [-128, 0, 1, 127],
    u16: [0, 1, 65535, 7],
    i64: [-(2 ** 62), 0, 5, 2 ** 62],
    f32: [0.5, -1.25, 3, 1e10],
    f64: [Math.PI, 0, 1e-300, 2],
    flag: [true, false, false, true],
    "gene/name": text,
    fixed: ["x", "yy", "zzz", ""],
  };
  return { rec, expected };
}

const PY_READ_ONE = `
import sys, json, numpy as np
inp = json.loads(sys.stdin.read())
p = inp["path"]
if p.endswith(".h5"):
    import h5py
    d = h5py.File(p, "r")["r"]
    a, enc = d[()], d.attrs.get("encoding-type")
else:
    import zarr
    d = zarr.open_group(p, mode="r")["r"]
    a, enc = d[...], d.attrs.get("encoding-type")
vals = {n: [x.decode() if isinstance(x, bytes) else x for x in a[n].tolist()] for n in a.dtype.names}
print(json.dumps({"names": list(a.dtype.names), "dtype": [[n, a.dtype[n].str, a.dtype.fields[n][1]] for n in a.dtype.names], "values": vals, "enc": enc}))
`;

describe("a rec-array of every field type, as h5py and zarr-python read it", () => {
  const { rec, expected } = sample();
  const names = Object.keys(expected);
  for (const [label, file, opts] of [
    ["HDF5 compound dataset (h5py)", "s.h5", {}],
    ["Zarr v2 structured array (zarr-python 2)", "s2.zarr", { zarrFormat: 2 as const }],
    ["Zarr v3 struct array (zarr-python 3.4)", "s3.zarr", { zarrFormat: 3 as const }],
  ] as const) {
    it(label, async () => {
      const out = path.join(tmp, file);
      const w = await createStore(out, { overwrite: true, ...opts });
      await writeElem(w, "r", rec);
      await w.close();
      const r = file === "s3.zarr" ? pyPeer("latest", PY_READ_ONE, { path: out }) : py(PY_READ_ONE, { path: out });
      expect(r.enc).toBe("rec-array");
      expect(r.names).toEqual(names);
      expect(r.values).toEqual(expected);
      // packed (numpy's aligned=False): each field right after the previous one
      const sizes: Record<string, number> = { i8: 1, u16: 2, i64: 8, f32: 4, f64: 8, flag: 1 };
      let offset = 0;
      for (const [name, str, at] of r.dtype as [string, string, number][]) {
        expect([name, at]).toEqual([name, offset]);
        if (name === "fixed") expect(str).toBe("|S3");
        offset += sizes[name] ?? (name === "fixed" ? 3 : file === "s.h5" ? 8 : 4 * Number(str.slice(2)));
      }
    });
  }
});
