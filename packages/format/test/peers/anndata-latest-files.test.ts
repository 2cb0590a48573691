// Files anndata writes today (the "latest" peer: anndata 0.13, zarr-python 3,
// pandas 3), made by test-data/anndata/make_latest.py: h5ad, Zarr v3 sharded
// with consolidated metadata, Zarr v2; nullable strings / booleans /
// integers, categoricals, sparse, dataframes with every column type, nested
// uns, raw. readAnnData reads each equal to anndata's own reading (dump.py's
// JSON), and convert h5ad -> Zarr v3 -> h5ad (and anndata's Zarr v3 -> Zarr v2)
// gives files anndata latest reads equal to the original.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { readAnnData } from "../../src/anndata.js";
import { convert } from "../../src/convert.js";
import { ANNDATA_DATA, dumpAnnData } from "../anndata/helpers.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-peers-format-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SCRIPT = path.join(ANNDATA_DATA, "make_latest.py");

function runScript(...args: string[]): any {
  return pyPeer(
    "latest",
    `import sys, runpy\nsys.argv = ${JSON.stringify([SCRIPT, ...args])}\nrunpy.run_path(sys.argv[0], run_name="__main__")`,
  );
}

/**
 * Strings as values: pandas 3 reads every string column as its `str` dtype,
 * which dump.py reports as a nullable string array, where anndata's encoding
 * (and ours) is a plain string-array; the values must still be equal.
 */
function normalise(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(normalise);
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    if (o.t === "nullable-string-array") return { t: "strings", v: o.v };
    if (o.t === "dense" && o.dtype === "string" && (o.shape as number[]).length === 1) return { t: "strings", v: o.v };
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, normalise(v)]));
  }
  return x;
}

describe.skipIf(skipPeer("latest"))("files anndata latest writes", () => {
  let made: any;
  const file = (name: string) => path.join(tmp, name);

  beforeAll(() => {
    made = runScript(tmp);
    console.log(`anndata-latest files by ${JSON.stringify(made.versions)}`);
  });

  it("are what the script means: Zarr v3 sharded and consolidated, all three read equal by anndata", () => {
    expect(made.same).toBe(true);
    expect(made.v3_format).toBe(3);
    expect(made.v3_consolidated).toBe(true);
    expect(made.v3_X_data_shards).not.toBeNull();
  });

  for (const name of ["latest.h5ad", "latest.v3.zarr", "latest.v2.zarr"]) {
    it(`readAnnData reads ${name} equal to anndata latest`, async () => {
      const { adata, problems, close } = await readAnnData(file(name));
      expect(problems).toEqual([]);
      expect(normalise(await dumpAnnData(adata))).toEqual(normalise(made.dump));
      await close();
    });
  }

  it("convert h5ad -> Zarr v3 -> h5ad: anndata latest reads every step equal to the original", async () => {
    const v3 = file("ours.v3.zarr");
    const back = file("ours.back.h5ad");
    expect((await convert(file("latest.h5ad"), v3, { zarrFormat: 3 })).problems).toEqual([]);
    expect((await convert(v3, back)).problems).toEqual([]);
    for (const out of [v3, back]) {
      const r = runScript("--compare", file("latest.h5ad"), out);
      expect(r.equal, `${path.basename(out)}: ${r.b.slice(0, 2000)}`).toBe(true);
    }
  });

  it("convert anndata's Zarr v3 -> Zarr v2 -> h5ad: anndata latest reads each equal to the original", async () => {
    const v2 = file("ours.v2.zarr");
    const back = file("ours.from-v3.h5ad");
    expect((await convert(file("latest.v3.zarr"), v2, { zarrFormat: 2 })).problems).toEqual([]);
    expect((await convert(v2, back)).problems).toEqual([]);
    for (const out of [v2, back]) {
      const r = runScript("--compare", file("latest.v3.zarr"), out);
      expect(r.equal, `${path.basename(out)}: ${r.b.slice(0, 2000)}`).toBe(true);
    }
  });
});
