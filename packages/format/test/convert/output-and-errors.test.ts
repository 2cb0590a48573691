// convert(): HDF5 output judged by anndata, and bad input that leaves nothing behind.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { py, TEST_DATA } from "../../../../test-utils/oracle.js";
import { convert } from "../../src/convert.js";
import { ANNDATA_DATA, PY_DUMP } from "../anndata/helpers.js";
import { firstDifference, hdf5Read, PY_READ, tmp } from "./shared.js";

describe("HDF5 output", () => {
  it.skipIf(!hdf5Read)(".h5ad -> .zarr -> .h5ad is equal for anndata", async () => {
    const src = path.join(ANNDATA_DATA, "all-types.h5ad");
    const z = path.join(tmp, "rt.zarr");
    const h = path.join(tmp, "rt.h5ad");
    await convert(src, z, { zarrFormat: 3 });
    await convert(z, h);
    const r = py(PY_READ, { a: src, b: h });
    if (!r.equal) expect.fail(`round trip differs ${firstDifference(r.a, r.b)}`);
  });

  it("a Zarr v2 written by anndata converts to h5ad that anndata reads equal", async () => {
    const src = path.join(ANNDATA_DATA, "all-types.zarr");
    const h = path.join(tmp, "from-zarr.h5ad");
    await convert(src, h);
    const r = py(PY_READ, { a: src, b: h });
    if (!r.equal) expect.fail(`differs ${firstDifference(r.a, r.b)}`);
  });
});

/** Nothing at `out`, and no temporary sibling left beside it. */
function expectNothingLeft(out: string): void {
  expect(existsSync(out)).toBe(false);
  const base = path.basename(out);
  expect(readdirSync(path.dirname(out)).filter((f) => f.includes(base.replace(/\.zarr$|\.h5ad$/, "")))).toEqual([]);
}

describe("bad input", () => {
  it("a path that does not exist", async () => {
    const dir = mkdtempSync(path.join(tmp, "missing-"));
    const out = path.join(dir, "out.zarr");
    await expect(convert(path.join(tmp, "nope.h5ad"), out)).rejects.toThrow(/nope\.h5ad: no such file or directory/);
    expectNothingLeft(out);
  });

  it("a file that is not AnnData", async () => {
    const dir = mkdtempSync(path.join(tmp, "notad-"));
    const txt = path.join(dir, "notes.h5ad");
    writeFileSync(txt, "just some text, not HDF5\n");
    const out = path.join(dir, "out.zarr");
    await expect(convert(txt, out)).rejects.toThrow(/notes\.h5ad: not AnnData/);
    expectNothingLeft(out);
    // A Zarr store that holds no AnnData.
    const plain = path.join(TEST_DATA, "zarr-python", "v2.zarr");
    await expect(convert(plain, out)).rejects.toThrow(/not AnnData/);
    expectNothingLeft(out);
  });

  it("a missing encoding-type fails naming the element, nothing half-written", async () => {
    const dir = mkdtempSync(path.join(tmp, "noenc-"));
    const src = path.join(dir, "in.zarr");
    cpSync(path.join(ANNDATA_DATA, "all-types.zarr"), src, { recursive: true });
    const attrsFile = path.join(src, "obs", "cluster", ".zattrs");
    const attrs = JSON.parse(readFileSync(attrsFile, "utf8"));
    delete attrs["encoding-type"];
    writeFileSync(attrsFile, JSON.stringify(attrs));
    const out = path.join(dir, "out.zarr");
    await expect(convert(src, out, { zarrFormat: 2 })).rejects.toThrow(/in\.zarr: \/obs\/cluster: .*missing encoding-type/);
    expectNothingLeft(out);
    // With allowProblems the rest converts and anndata reads it.
    const r = await convert(src, out, { zarrFormat: 2, allowProblems: true });
    expect(r.problems.map((p) => p.path)).toEqual(["obs/cluster"]);
    const cols = py(`${PY_DUMP}\nprint(json.dumps(list(ad.read_zarr(json.loads(sys.stdin.read())).obs.columns)))`, out);
    expect(cols).not.toContain("cluster");
    expect(cols).toContain("stage");
  });

  it("a truncated chunk fails naming the array, nothing half-written", async () => {
    const dir = mkdtempSync(path.join(tmp, "trunc-"));
    const src = path.join(dir, "in.zarr");
    cpSync(path.join(ANNDATA_DATA, "all-types.zarr"), src, { recursive: true });
    truncateSync(path.join(src, "obsm", "X_pca", "0.0"), 7);
    const out = path.join(dir, "out.zarr");
    await expect(convert(src, out, { zarrFormat: 3 })).rejects.toThrow(/in\.zarr: \/obsm\/X_pca/);
    expectNothingLeft(out);
  });

  it("an existing output is kept unless overwrite", async () => {
    const dir = mkdtempSync(path.join(tmp, "exists-"));
    const out = path.join(dir, "out.zarr");
    await convert(path.join(ANNDATA_DATA, "empty.zarr"), out, { zarrFormat: 2 });
    await expect(convert(path.join(ANNDATA_DATA, "all-types.zarr"), out, { zarrFormat: 2 })).rejects.toThrow(/exist/);
    expect(py(`${PY_DUMP}\nprint(json.dumps(ad.read_zarr(json.loads(sys.stdin.read())).shape))`, out)).toEqual([3, 2]);
    await convert(path.join(ANNDATA_DATA, "all-types.zarr"), out, { zarrFormat: 2, overwrite: true });
    expect(py(`${PY_DUMP}\nprint(json.dumps(ad.read_zarr(json.loads(sys.stdin.read())).shape))`, out)).toEqual([7, 5]);
  });
});
