// createHdf5 as a StoreWriter: an AnnData-shaped file written element by
// element (the way the element registry will) that anndata 0.8 loads, the
// attribute mapping of h5py, compression options, streaming and the
// temporary-name / overwrite rules.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3 } from "../../../../test-utils/oracle.js";
import { FormatError } from "../../src/errors.js";
import { createHdf5 } from "../../src/hdf5/writer.js";
import { RowAppender } from "../../src/streaming.js";
import type { NDArray, StoreWriter } from "../../src/types.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "h5fw-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = (type: string, version: string) => ({ "encoding-type": type, "encoding-version": version });
const str = (data: string[]): NDArray => ({ dtype: "string", shape: [data.length], data });

/** Half-float bits of small integers (exact in float16). */
function half(v: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(v));
  return ((e + 15) << 10) | Math.round((v / 2 ** e - 1) * 1024);
}

const OBS = ["cell_0", "cell_1", "cell_ü", "cell_3", "cell_4"];
const VARS = ["gene_a", "gene_b", "gene_c"];
// dense X and its CSR form
const X = [
  [0, 1.5, 0],
  [2, 0, 0],
  [0, 0, 0],
  [0, 3.25, 4],
  [5, 0, 6],
];

async function writeAnnData(w: StoreWriter): Promise<void> {
  await w.createGroup("", enc("anndata", "0.1.0"));
  // X: csr_matrix
  const data: number[] = [];
  const indices: number[] = [];
  const indptr = [0];
  for (const row of X) {
    row.forEach((v, j) => {
      if (v !== 0) {
        data.push(v);
        indices.push(j);
      }
    });
    indptr.push(data.length);
  }
  await w.createGroup("X", { ...enc("csr_matrix", "0.1.0"), shape: [OBS.length, VARS.length] });
  await w.writeArray("X/data", { dtype: "float32", shape: [data.length], data: Float32Array.from(data) });
  await w.writeArray("X/indices", { dtype: "int32", shape: [indices.length], data: Int32Array.from(indices) });
  await w.writeArray("X/indptr", { dtype: "int64", shape: [indptr.length], data: BigInt64Array.from(indptr, BigInt) });
  // obs: index, a categorical (ordered, with a missing value), a bool column, a float column
  await w.createGroup("obs", { ...enc("dataframe", "0.2.0"), _index: "_index", "column-order": ["grade", "is_mitotic", "area"] });
  await w.writeArray("obs/_index", str(OBS), { attrs: enc("string-array", "0.2.0") });
  await w.createGroup("obs/grade", { ...enc("categorical", "0.2.0"), ordered: true });
  await w.writeArray("obs/grade/codes", { dtype: "int8", shape: [5], data: Int8Array.from([0, 2, -1, 1, 0]) }, { attrs: enc("array", "0.2.0") });
  await w.writeArray("obs/grade/categories", str(["low", "mid", "high"]), { attrs: enc("string-array", "0.2.0") });
  await w.writeArray("obs/is_mitotic", { dtype: "bool", shape: [5], data: Uint8Array.from([1, 0, 0, 1, 1]) }, { attrs: enc("array", "0.2.0") });
  await w.writeArray("obs/area", { dtype: "float64", shape: [5], data: Float64Array.from([10.5, 20, 30.25, 0, -1]) }, { attrs: enc("array", "0.2.0") });
  // var: index and an unordered categorical
  await w.createGroup("var", { ...enc("dataframe", "0.2.0"), _index: "_index", "column-order": ["kind"] });
  await w.writeArray("var/_index", str(VARS), { attrs: enc("string-array", "0.2.0") });
  await w.createGroup("var/kind", { ...enc("categorical", "0.2.0"), ordered: false });
  await w.writeArray("var/kind/codes", { dtype: "int8", shape: [3], data: Int8Array.from([1, 0, 1]) }, { attrs: enc("array", "0.2.0") });
  await w.writeArray("var/kind/categories", str(["coding", "noncoding"]), { attrs: enc("string-array", "0.2.0") });
  // obsm: a float16 image stack, chunked per cell and channel, shuffle + gzip, streamed by rows
  await w.createGroup("obsm", enc("dict", "0.1.0"));
  const images = await w.createArray("obsm/images", {
    shape: [5, 2, 4, 4],
    dtype: "float16",
    chunks: [1, 1, 4, 4],
    compression: { codec: "gzip", level: 1, shuffle: true },
    attrs: enc("array", "0.2.0"),
  });
  const rows = new RowAppender(images);
  for (let i = 0; i < 5; i++) {
    await rows.append({ dtype: "float16", shape: [1, 2, 4, 4], data: Uint16Array.from({ length: 32 }, (_, k) => half(i * 32 + k)) });
  }
  await rows.flush();
  await images.close();
  // uns: nested dict, string and numeric scalars, a string array
  await w.createGroup("uns", enc("dict", "0.1.0"));
  await w.createGroup("uns/params", enc("dict", "0.1.0"));
  await w.writeArray("uns/params/method", { dtype: "string", shape: [], data: ["classic ✓"] }, { attrs: enc("string", "0.2.0") });
  await w.writeArray("uns/params/size", { dtype: "int64", shape: [], data: BigInt64Array.from([128n]) }, { attrs: enc("numeric-scalar", "0.2.0") });
  await w.writeArray("uns/channels", str(["DAPI", "PH3", ""]), { attrs: enc("string-array", "0.2.0") });
  for (const g of ["layers", "obsp", "varp", "varm"]) await w.createGroup(g, enc("dict", "0.1.0"));
}

const READ_H5AD = `
import anndata, json, sys, numpy as np
inp = json.loads(sys.stdin.read())
a = anndata.read_h5ad(inp["path"])
g = a.obs["grade"]
print(json.dumps({
  "shape": list(a.shape),
  "obs_names": list(a.obs_names), "var_names": list(a.var_names),
  "X": a.X.toarray().tolist(), "X_type": type(a.X).__name__, "X_dtype": str(a.X.dtype),
  "obs_columns": list(a.obs.columns),
  "grade": [None if isinstance(v, float) else v for v in g.tolist()], "grade_ordered": bool(g.cat.ordered),
  "grade_categories": list(g.cat.categories),
  "is_mitotic": [bool(v) for v in a.obs["is_mitotic"]], "is_mitotic_dtype": str(a.obs["is_mitotic"].dtype),
  "area": a.obs["area"].tolist(),
  "kind": list(a.var["kind"].astype(str)), "kind_ordered": bool(a.var["kind"].cat.ordered),
  "images": a.obsm["images"].astype("f8").ravel().tolist(), "images_dtype": str(a.obsm["images"].dtype),
  "images_shape": list(a.obsm["images"].shape),
  "method": a.uns["params"]["method"], "size": int(a.uns["params"]["size"]),
  "channels": list(a.uns["channels"]),
}))
`;

describe("createHdf5", () => {
  it("writes an AnnData file that anndata 0.8 reads with the values written", async () => {
    const file = path.join(dir, "cells.h5ad");
    const w = await createHdf5(file);
    await writeAnnData(w);
    await w.close();
    const got = py(READ_H5AD, { path: file });
    expect(got.shape).toEqual([5, 3]);
    expect(got.obs_names).toEqual(OBS);
    expect(got.var_names).toEqual(VARS);
    expect(got.X_type).toBe("csr_matrix");
    expect(got.X_dtype).toBe("float32");
    expect(got.X).toEqual(X);
    expect(got.obs_columns).toEqual(["grade", "is_mitotic", "area"]);
    expect(got.grade).toEqual(["low", "high", null, "mid", "low"]);
    expect(got.grade_ordered).toBe(true);
    expect(got.grade_categories).toEqual(["low", "mid", "high"]);
    expect(got.is_mitotic).toEqual([true, false, false, true, true]);
    expect(got.is_mitotic_dtype).toBe("bool");
    expect(got.area).toEqual([10.5, 20, 30.25, 0, -1]);
    expect(got.kind).toEqual(["noncoding", "coding", "noncoding"]);
    expect(got.kind_ordered).toBe(false);
    expect(got.images_dtype).toBe("float16");
    expect(got.images_shape).toEqual([5, 2, 4, 4]);
    expect(got.images).toEqual(Array.from({ length: 160 }, (_, i) => i));
    expect(got.method).toBe("classic ✓");
    expect(got.size).toBe(128);
    expect(got.channels).toEqual(["DAPI", "PH3", ""]);
  });

  it("maps attribute values as h5py maps Python values, and compression onto HDF5 filters", async () => {
    const file = path.join(dir, "attrs.h5");
    const w = await createHdf5(file);
    await w.createGroup("g", {
      s: "text",
      i: 3,
      f: 0.5,
      b: true,
      big: 2n ** 60n,
      ints: [1, 2, 3],
      floats: [1, 2.5],
      bools: [true, false],
      strs: ["a", "b"],
      empty: [],
      typed: { dtype: "uint16", shape: [2], data: Uint16Array.from([7, 65535]) },
    });
    const arrays: [string, Parameters<StoreWriter["createArray"]>[1]["compression"], number[]][] = [
      ["gzip", { codec: "gzip", level: 3 }, [1]],
      ["shuffle_gzip", { codec: "gzip", shuffle: true }, [2, 1]],
      ["lzf", { codec: "lzf" }, [32000]],
      ["shuffle_lzf", { codec: "lzf", shuffle: true }, [2, 32000]],
      ["none", { codec: "none" }, []],
    ];
    for (const [name, compression] of arrays) {
      await w.writeArray(`c/${name}`, { dtype: "int32", shape: [100, 3], data: Int32Array.from({ length: 300 }, (_, i) => i) }, { compression });
    }
    await w.writeArray("c/strings", str(["x", "yy", ""]), { compression: { codec: "gzip", level: 1 } });
    await w.close();
    const got = py(
      `
import h5py, json, sys, numpy as np
f = h5py.File(json.loads(sys.stdin.read())["path"], "r")
a = f["g"].attrs
out = {k: [type(a[k]).__name__, np.asarray(a[k]).dtype.str, np.asarray(a[k]).tolist() if not isinstance(a[k], str) else a[k]] for k in a}
out["big"][2] = str(out["big"][2])
pl = lambda d: [int(d.id.get_create_plist().get_filter(i)[0]) for i in range(d.id.get_create_plist().get_nfilters())]
levels = {n: [list(d.id.get_create_plist().get_filter(i)[2]) for i in range(d.id.get_create_plist().get_nfilters())] for n, d in f["c"].items()}
print(json.dumps({"attrs": out, "filters": {n: pl(d) for n, d in f["c"].items()}, "levels": levels,
  "values": {n: (d[()].ravel().tolist() if d.dtype.kind != "O" else [v.decode() for v in d[()]]) for n, d in f["c"].items()}}))
`,
      { path: file },
    );
    expect(got.attrs).toEqual({
      s: ["str", "<U4", "text"],
      i: ["int64", "<i8", 3],
      f: ["float64", "<f8", 0.5],
      b: ["bool_", "|b1", true],
      big: ["int64", "<i8", String(2n ** 60n)],
      ints: ["ndarray", "<i8", [1, 2, 3]],
      floats: ["ndarray", "<f8", [1, 2.5]],
      bools: ["ndarray", "|b1", [true, false]],
      strs: ["ndarray", "|O", ["a", "b"]],
      empty: ["ndarray", "<f8", []],
      typed: ["ndarray", "<u2", [7, 65535]],
    });
    for (const [name, , ids] of arrays) {
      expect(got.filters[name], name).toEqual(ids);
      expect(got.values[name], name).toEqual(Array.from({ length: 300 }, (_, i) => i));
    }
    expect(got.levels.gzip).toEqual([[3]]);
    expect(got.filters.strings).toEqual([1]);
    expect(got.values.strings).toEqual(["x", "yy", ""]);
  });

  it.skipIf(!hasZarr3())("h5py 3.16 reads the AnnData file's float16 stack and categorical", async () => {
    const file = path.join(dir, "cells13.h5ad");
    const w = await createHdf5(file);
    await writeAnnData(w);
    await w.close();
    const got = pyZarr3(
      `
import h5py, json, sys
f = h5py.File(json.loads(sys.stdin.read())["path"], "r")
print(json.dumps({"img": f["obsm/images"][()].astype("f8").ravel().tolist(), "ordered": bool(f["obs/grade"].attrs["ordered"]),
  "cats": [c.decode() for c in f["obs/grade/categories"][()]], "enc": f.attrs["encoding-type"]}))
`,
      { path: file },
    );
    expect(got.img).toEqual(Array.from({ length: 160 }, (_, i) => i));
    expect(got.ordered).toBe(true);
    expect(got.cats).toEqual(["low", "mid", "high"]);
    expect(got.enc).toBe("anndata");
  });

  it("rejects codecs stock h5py cannot read and unmappable attributes, naming the element", async () => {
    const file = path.join(dir, "bad.h5");
    const w = await createHdf5(file);
    const err = await w.createArray("obsm/x", { shape: [4], dtype: "float32", compression: { codec: "zstd" } }).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toContain(file);
    expect(err.message).toContain("/obsm/x");
    expect(err.message).toContain("zstd");
    await w.createGroup("g");
    const err2 = await w.setAttrs("g", { nested: { a: 1 } }).catch((e) => e);
    expect(err2).toBeInstanceOf(FormatError);
    expect(err2.message).toMatch(/\/g: attribute nested/);
    const a = await w.createArray("a", { shape: [10], dtype: "int16", chunks: [4] });
    const err3 = await a.setBlock([2], { dtype: "int16", shape: [4], data: new Int16Array(4) }).catch((e) => e);
    expect(err3).toBeInstanceOf(FormatError);
    expect(err3.message).toMatch(/\/a: .*not aligned/);
    await w.abort();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith("bad.h5"))).toEqual([]);
  });

  it("writes under a temporary name and replaces an existing file only at close with overwrite", async () => {
    const file = path.join(dir, "over.h5");
    const old = await createHdf5(file);
    await old.writeArray("old", { dtype: "uint8", shape: [1], data: Uint8Array.from([9]) });
    await old.close();
    await expect(createHdf5(file)).rejects.toThrow(/already exists/);
    const w = await createHdf5(file, { overwrite: true });
    await w.writeArray("v", { dtype: "uint8", shape: [3], data: Uint8Array.from([1, 2, 3]) });
    expect(readdirSync(dir).filter((f) => f.startsWith("over.h5.tmp-")).length).toBe(1);
    // until close the old file is whole
    expect(py(`import h5py, json, sys; print(json.dumps(list(h5py.File(json.loads(sys.stdin.read())["p"], "r").keys())))`, { p: file })).toEqual(["old"]);
    await w.close();
    expect(readdirSync(dir).filter((f) => f.startsWith("over.h5"))).toEqual(["over.h5"]);
    expect(py(`import h5py, json, sys; print(json.dumps(h5py.File(json.loads(sys.stdin.read())["p"], "r")["v"][()].tolist()))`, { p: file })).toEqual([1, 2, 3]);
  });
});
