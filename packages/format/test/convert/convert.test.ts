// convert() between HDF5 and Zarr v2 / v3 on every real file the project
// has: anndata 0.8 finds the Zarr v2 result equal to the original (legacy
// layouts normalised as anndata normalises them on read), zarr-python 3 finds
// the v3 arrays equal to the v2's; bad input leaves nothing behind.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasDebian13, hostPath, py, py13, SHARED_FIXTURES } from "../../../../test-utils/oracle.js";
import { type ConvertProgress, convert } from "../../src/convert.js";
import { openStore } from "../../src/store.js";
import { ANNDATA_DATA, PY_DUMP, PY13_COMPARE } from "../anndata/helpers.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-convert-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function hdf5Readable(): Promise<boolean> {
  try {
    await (await openStore(path.join(ANNDATA_DATA, "empty.h5ad"))).close();
    return true;
  } catch (e) {
    return !/not implemented/.test(String(e));
  }
}
const hdf5Read = await hdf5Readable();

function listSources(): string[] {
  const out: string[] = [];
  for (const top of ["anndata-archives", "anndata-js"]) {
    const root = path.join(SHARED_FIXTURES, top);
    for (const version of readdirSync(root).sort()) {
      for (const f of readdirSync(path.join(root, version)).sort()) out.push(path.join(root, version, f));
    }
  }
  return out;
}

/** anndata 0.8's reading of a store, as JSON (rec-arrays as dicts of fields, as we write them). */
const PY_READ = `${PY_DUMP}
import zarr
def read(p):
    if p.endswith(".zarr.zip"):
        return ad.read_zarr(zarr.storage.ZipStore(p, mode="r"))
    if p.endswith(".zarr"):
        return ad.read_zarr(p)
    return ad.read_h5ad(p)
inp = json.loads(sys.stdin.read())
a = to_json(dump(read(inp["a"]), rec_as_dict=True))
b = to_json(dump(read(inp["b"]), rec_as_dict=True))
print(json.dumps({"equal": a == b, "a": a if a != b else "", "b": b if a != b else ""}))
`;

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: original …${a.slice(Math.max(0, i - 150), i + 150)}… ours …${b.slice(Math.max(0, i - 150), i + 150)}…`;
}

const sources = [...listSources(), path.join(ANNDATA_DATA, "all-types.h5ad"), path.join(ANNDATA_DATA, "all-types.zarr")];

describe("every AnnData file converts to Zarr v2 and v3", () => {
  for (const src of sources) {
    const rel = path.relative(path.dirname(path.dirname(src)), src);
    const isHdf5 = src.endsWith(".h5ad");
    it.skipIf(isHdf5 && !hdf5Read)(`${rel}`, async () => {
      const name = rel.replaceAll("/", "_");
      const v2 = path.join(tmp, `${name}.v2.zarr`);
      const v3 = path.join(tmp, `${name}.v3.zarr`);
      const progress: ConvertProgress[] = [];
      const result = await convert(src, v2, { zarrFormat: 2, onProgress: (p) => progress.push(p) });
      expect(result.problems).toEqual([]);
      await convert(src, v3, { zarrFormat: 3 });
      const r = py(PY_READ, { a: src, b: v2 });
      if (!r.equal) expect.fail(`anndata reads ${rel} and its Zarr v2 conversion differently ${firstDifference(r.a, r.b)}`);
      // Progress in bytes: never backwards, ends at the total.
      expect(progress.length).toBeGreaterThan(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);
      expect(progress.at(-1)).toEqual({ bytesDone: result.bytes, bytesTotal: result.bytes });
      if (hasDebian13()) {
        const c = py13(PY13_COMPARE, { a: hostPath(v3), b: hostPath(v2) });
        expect(c.bad).toEqual([]);
        expect([c.fa, c.fb]).toEqual([3, 2]);
      }
    });
  }
});

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
    await expect(convert(path.join(tmp, "nope.h5ad"), out)).rejects.toThrow(/nope\.h5ad: \/: no such file or directory/);
    expectNothingLeft(out);
  });

  it("a file that is not AnnData", async () => {
    const dir = mkdtempSync(path.join(tmp, "notad-"));
    const txt = path.join(dir, "notes.h5ad");
    writeFileSync(txt, "just some text, not HDF5\n");
    const out = path.join(dir, "out.zarr");
    await expect(convert(txt, out)).rejects.toThrow(/notes\.h5ad: \/: not AnnData/);
    expectNothingLeft(out);
    // A Zarr store that holds no AnnData.
    const plain = path.join(SHARED_FIXTURES, "zarr-python", "v2.zarr");
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
