// The built `cellfolio` binary run as a user runs it, judged by Python's
// anndata, h5py and zarr-python.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-cli-"));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** anndata's view of a file: what a user would compare. */
const DUMP = `
import json, sys, numpy as np, anndata as ad, h5py
p = json.loads(sys.stdin.read())
a = ad.read_zarr(p) if p.rstrip("/").endswith(".zarr") else ad.read_h5ad(p)
im = a.obsm["single_cell_images"]
def sc(v):
    v = np.asarray(v)
    return v.tolist() if v.ndim else v.item()
print(json.dumps({
  "n_obs": a.n_obs, "n_vars": a.n_vars,
  "obs_columns": list(a.obs.columns),
  "cell_ids": [int(x) for x in a.obs["scportrait_cell_id"]],
  "centroid_y": a.obs["centroid_y"].tolist(),
  "mitotic": a.obs["mitotic"].tolist() if "mitotic" in a.obs else None,
  "channels": [str(x) for x in a.var["channels"]],
  "shape": list(im.shape), "dtype": str(im.dtype),
  "sum": float(np.asarray(im, dtype=np.float64).sum()),
  "first": np.asarray(im[0], dtype=np.float64).ravel()[::97].tolist(),
  "uns_keys": sorted(a.uns["single_cell_images"].keys()),
  "n_cells": sc(a.uns["single_cell_images"]["n_cells"]),
}))
`;

describe("cellfolio (built binary)", () => {
  const h5 = path.join(dir, "out", "sample.h5sc"); // out/ does not exist yet, as in the README
  let ref: any;

  beforeAll(() => {
    expect(existsSync(BIN), `${BIN} missing: run the build first`).toBe(true);
    const r = cellfolio(
      "extract",
      "--image", path.join(SAMPLE, "image.tif"),
      "--nucleus", path.join(SAMPLE, "nucleus.tif"),
      "--cytosol", path.join(SAMPLE, "cytosol.tif"),
      "--labels", path.join(SAMPLE, "labels.csv"),
      "--channel-names", "DNA,PH3,cellbody",
      "--size", "48",
      "--out", h5,
    );
    expect(r.code, r.stderr).toBe(0);
    ref = py(DUMP, h5);
  });

  it("prints help and exits 0; usage errors exit 2", () => {
    const help = cellfolio("--help");
    expect(help.code).toBe(0);
    for (const c of ["extract", "convert", "info", "validate", "export"]) expect(help.stdout).toContain(c);
    expect(cellfolio("extract", "--help").stdout).toContain("--nucleus");
    expect(cellfolio().code).toBe(2);
    expect(cellfolio("frobnicate").code).toBe(2);
    expect(cellfolio("convert", "only-one-arg").code).toBe(2);
    expect(cellfolio("extract", "--image", "x.tif").code).toBe(2);
    expect(cellfolio("extract", "--size", "abc").code).toBe(2);
    expect(cellfolio("info", "a", "--bogus").code).toBe(2);
  });

  it("extracts the sample: anndata and h5py read what scPortrait's readers expect", () => {
    expect(ref.n_obs).toBeGreaterThan(150);
    expect(ref.shape).toEqual([ref.n_obs, 5, 48, 48]);
    expect(ref.dtype).toBe("float16");
    expect(ref.channels).toHaveLength(5);
    expect(ref.channels.slice(2)).toEqual(["DNA", "PH3", "cellbody"]);
    expect(ref.n_cells).toBe(ref.n_obs);
    expect(ref.mitotic).not.toBeNull();
    // cellIDs are the mask's ids, in cellID order, every one present in the nucleus mask
    const ids: number[] = ref.cell_ids;
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const maskIds = py(
      `
import json, sys, numpy as np, tifffile
m = tifffile.imread(json.loads(sys.stdin.read()))
print(json.dumps(sorted(int(x) for x in np.unique(m) if x)))`,
      path.join(SAMPLE, "nucleus.tif"),
    );
    for (const id of ids) expect(maskIds).toContain(id);
    const h5py = py(
      `
import json, sys, h5py
f = h5py.File(json.loads(sys.stdin.read()), "r")
d = f["obsm/single_cell_images"]
print(json.dumps({"chunks": list(d.chunks), "compression": d.compression, "enc": d.attrs["encoding-type"]}))`,
      h5,
    );
    expect(h5py.chunks).toEqual([1, 1, 48, 48]);
    expect(["gzip", "lzf"]).toContain(h5py.compression);
    expect(h5py.enc).toBe("array");
  });

  it("converts h5sc -> zarr v3 -> zarr v2 -> h5ad with anndata finding the same content", () => {
    const v3 = path.join(dir, "new-folder", "sample.zarr"); // a folder that does not exist yet
    const v2 = path.join(dir, "sample-v2.zarr");
    const back = path.join(dir, "back.h5ad");
    expect(cellfolio("convert", h5, v3, "--quiet").code).toBe(0);
    expect(cellfolio("convert", v3, v2, "--zarr-format", "2", "--quiet").code).toBe(0);
    const r = cellfolio("convert", v2, back, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(py(DUMP, v2)).toEqual(ref);
    expect(py(DUMP, back)).toEqual(ref);
    if (hasZarr3()) {
      const z = pyZarr3(
        `
import json, sys, zarr, numpy as np
g = zarr.open_group(json.loads(sys.stdin.read()), mode="r")
a = g["obsm/single_cell_images"]
print(json.dumps({"fmt": g.metadata.zarr_format, "shape": list(a.shape), "sum": float(np.asarray(a[:], dtype=np.float64).sum())}))`,
        v3,
      );
      expect(z.fmt).toBe(3);
      expect(z.shape).toEqual(ref.shape);
      expect(z.sum).toBeCloseTo(ref.sum, 3);
    }
    // the existing output is refused without --overwrite, accepted with it
    expect(cellfolio("convert", h5, v3, "--quiet").code).toBe(1);
    expect(cellfolio("convert", h5, v3, "--quiet", "--overwrite").code).toBe(0);
  });

  it("info --json is parseable and says what the file holds", () => {
    const r = cellfolio("info", h5, "--json");
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.backend).toBe("hdf5");
    expect(info.nObs).toBe(ref.n_obs);
    expect(info.nVars).toBe(5);
    expect(info.singleCell.nCells).toBe(ref.n_obs);
    expect(info.singleCell.imageSize).toBe(48);
    expect(info.singleCell.channelNames.slice(2)).toEqual(["DNA", "PH3", "cellbody"]);
    expect(info.singleCell.preset).toBe("classic");
    const el = info.elements.find((e: any) => e.path === "/obsm/single_cell_images");
    expect(el.shape).toEqual(ref.shape);
    expect(el.dtype).toBe("float16");
    const text = cellfolio("info", h5);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("single-cell images");
  });

  it("validate passes a good file and catches broken ones, naming the element", () => {
    expect(cellfolio("validate", h5).code).toBe(0);
    // missing encoding attribute / wrong shape: edited with h5py
    const broken = path.join(dir, "broken.h5sc");
    writeFileSync(broken, readFileSync(h5));
    py(
      `
import json, sys, h5py, numpy as np
f = h5py.File(json.loads(sys.stdin.read()), "r+")
del f["obs"].attrs["encoding-type"]
n = f["obs/centroid_x"].shape[0]
del f["obs/centroid_x"]
f["obs/centroid_x"] = np.zeros(n + 3)
f["obs/centroid_x"].attrs["encoding-type"] = "array"
f["obs/centroid_x"].attrs["encoding-version"] = "0.2.0"
f.close()
print("null")`,
      broken,
    );
    const r = cellfolio("validate", broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("/obs: missing encoding-type");
    expect(r.stdout).toMatch(/\/obs\/centroid_x: column of length/);
    // a truncated chunk in a Zarr store
    const z = path.join(dir, "trunc.zarr");
    expect(cellfolio("convert", h5, z, "--zarr-format", "2", "--quiet").code).toBe(0);
    const arr = path.join(z, "obsm/single_cell_images");
    const chunk = readdirSync(arr).filter((f) => !f.startsWith(".")).sort()[0];
    truncateSync(path.join(arr, chunk), Math.floor(statSync(path.join(arr, chunk)).size / 2));
    const t = cellfolio("validate", z);
    expect(t.code).toBe(1);
    expect(t.stdout).toContain("/obsm/single_cell_images");
  });

  it("export writes PNGs per channel and a contact sheet", () => {
    const out = path.join(dir, "cells");
    const id = String(ref.cell_ids[3]);
    const r = cellfolio("export", h5, "--cell-id", `${ref.cell_ids[0]},${id}`, "--out", out, "--channels", "DNA,PH3");
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(out, `cell_${id}_DNA.png`))).toBe(true);
    const sheet = py(
      `
import json, sys
from PIL import Image
im = Image.open(json.loads(sys.stdin.read()))
print(json.dumps(list(im.size)))`,
      path.join(out, "contact_sheet.png"),
    );
    // a column of cellIDs on the left (2 px, the digits, 2 px) and a row of channel names on top (11 px)
    const idWidth = 2 + String(Math.max(ref.cell_ids[0], ref.cell_ids[3])).length * 6 - 1 + 2;
    expect(sheet).toEqual([idWidth + 2 * 50, 11 + 2 * 50]);
    expect(cellfolio("export", h5, "--cell-id", "999999", "--out", out).code).toBe(1);
    expect(cellfolio("export", h5, "--rows", "0:2", "--out", out, "--channels", "nope").code).toBe(1);
    const tif = cellfolio("export", h5, "--rows", "0:2", "--out", path.join(dir, "tif"), "--format", "tiff");
    expect(tif.code, tif.stderr).toBe(0);
  });

  it("bad input: one-line errors naming the file, exit 1, nothing half-written", () => {
    const missing = cellfolio("convert", path.join(dir, "nope.h5ad"), path.join(dir, "x.zarr"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.h5ad");
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const notAnndata = path.join(dir, "text.h5ad");
    writeFileSync(notAnndata, "this is not HDF5");
    expect(cellfolio("convert", notAnndata, path.join(dir, "y.zarr")).code).toBe(1);
    expect(existsSync(path.join(dir, "x.zarr"))).toBe(false);
    expect(existsSync(path.join(dir, "y.zarr"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
    const odd = cellfolio("extract", "--image", path.join(SAMPLE, "image.tif"), "--nucleus", path.join(SAMPLE, "nucleus.tif"), "--size", "47", "--out", path.join(dir, "odd.h5sc"));
    expect(odd.code).toBe(2); // a value wrong whatever the inputs: a usage error, as --size 0
    expect(odd.stderr).toContain("--size 47: expected an even integer");
    expect(existsSync(path.join(dir, "odd.h5sc"))).toBe(false);
  });
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
