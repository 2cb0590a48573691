// cellfolio validate judges by what anndata reads: every file of
// test-data/anndata-archives (anndata 0.5 to 0.11, h5ad and zipped Zarr) is
// valid, a legacy layout named in one note with the anndata that wrote it; a
// string index anndata 0.13 writes as a nullable-string-array is no problem.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pyPeer, REPO_ROOT, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const ARCHIVES = path.join(TEST_DATA, "anndata-archives");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  valid: boolean;
  problems: { path: string; message: string; severity: string }[];
}

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** The anndata each archive's note names; none for a file whose root carries encoding attributes. */
const WRITER: Record<string, string | undefined> = {
  "v0.5.0": "anndata < 0.7",
  "v0.7.0": "anndata 0.7",
  "v0.7.8": "anndata 0.7",
  "v0.11.4": undefined,
};
const FILES = readdirSync(ARCHIVES).flatMap((v) => readdirSync(path.join(ARCHIVES, v)).map((f) => [v, f] as const));

describe("the anndata archives: exit 0, a legacy layout as a note naming its writer", () => {
  it("covers every version directory", () => {
    expect(Object.keys(WRITER).sort()).toEqual(readdirSync(ARCHIVES).sort());
    expect(FILES.length).toBe(7);
  });

  it.each(FILES)("%s/%s", (version, name) => {
    const r = cellfolio("validate", "--json", path.join(ARCHIVES, version, name));
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as Report;
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.valid).toBe(true);
    const notes = report.problems.filter((p) => p.severity === "note").map((p) => `${p.path}: ${p.message}`);
    const writer = WRITER[version];
    if (writer === undefined) expect(notes).toEqual([]);
    else {
      expect(notes).toHaveLength(1);
      expect(notes[0].startsWith(`/: written by ${writer} (`), notes[0]).toBe(true);
    }
  });
});

describe.skipIf(skipPeer("latest"))("anndata 0.13's nullable-string-array index", () => {
  const files = { h5ad: path.join(dir, "latest.h5ad"), zarr: path.join(dir, "latest.zarr") };

  it("anndata latest writes the string index of obs and var as a nullable-string-array (the case under test)", () => {
    const written = pyPeer(
      "latest",
      `
import json, sys, h5py
import numpy as np, pandas as pd, anndata as ad
out = json.loads(sys.stdin.read())
a = ad.AnnData(X=np.ones((4, 3), dtype=np.float32), obs=pd.DataFrame(index=[f"cell-{i}" for i in range(4)]), var=pd.DataFrame(index=["a", "b", "c"]))
a.write_h5ad(out["h5ad"])
a.write_zarr(out["zarr"])
with h5py.File(out["h5ad"]) as f:
    print(json.dumps([str(f[k].attrs.get("encoding-type")) for k in ("obs/_index", "var/_index")]))
`,
      files,
    );
    expect(written).toEqual(["nullable-string-array", "nullable-string-array"]);
  });

  it.each(["h5ad", "zarr"] as const)("%s: valid, no line but the verdict; info counts its rows", (kind) => {
    const r = cellfolio("validate", files[kind]);
    expect(r.stdout).toBe(`${files[kind]}: valid\n`);
    expect(r.code).toBe(0);
    const info = JSON.parse(cellfolio("info", "--json", files[kind]).stdout);
    expect([info.nObs, info.nVars]).toEqual([4, 3]);
  });
});
