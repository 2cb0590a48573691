// cellfolio lmd on the real sample (test-data/sample: cytosol.tif, and the
// .h5sc extract makes of it): the XML's structure, calibration values and
// shape counts, computed here from the inputs; the summary (--json); the PNG;
// and every bad input refused with a message naming the flag and nothing
// written. py-lmd's judgement of the shapes is in
// packages/extract/test/peers/lmd-pylmd.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py, REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const S = path.join(TEST_DATA, "sample");
const MASK = path.join(S, "cytosol.tif");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-lmd-"));
const DS = path.join(dir, "sample.h5sc");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const CAL = "10.5,20 15,480.25 490,250";
/** mitotic cellIDs in labels.csv, read here (not through cellfolio). */
let mitotic: number[] = [];
let inMask: Set<number>;

beforeAll(() => {
  const r = cellfolio("extract", "--image", path.join(S, "image.tif"), "--nucleus", path.join(S, "nucleus.tif"), "--cytosol", MASK, "--labels", path.join(S, "labels.csv"), "--size", "48", "--out", DS, "--quiet");
  expect(r.code, r.stderr).toBe(0);
  const kept = new Set(
    (py(`import json,sys,h5py; f=h5py.File(json.loads(sys.stdin.read()),"r"); print(json.dumps([int(x) for x in f["obs/scportrait_cell_id"][:]]))`, DS) as number[]),
  );
  mitotic = readFileSync(path.join(S, "labels.csv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","))
    .filter((c) => c[1] === "1" && kept.has(Number(c[0])))
    .map((c) => Number(c[0]));
  inMask = new Set(py(`import json,sys,numpy as np,tifffile; print(json.dumps(np.unique(tifffile.imread(json.loads(sys.stdin.read()))).tolist()))`, MASK) as number[]);
  // A mask of another slide size: the sample's mask cut to its top-left 256 x 256.
  py(`import json,sys,tifffile; p=json.loads(sys.stdin.read()); tifffile.imwrite(p[1], tifffile.imread(p[0])[:256,:256]); print("true")`, [MASK, path.join(dir, "small.tif")]);
}, 120_000);

/** Tags of the XML in order, and the text of each, without an XML library: the format is flat. */
function elements(xml: string): [string, string][] {
  return [...xml.matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map((m) => [m[1], m[2]]);
}

describe("cellfolio lmd on the sample", () => {
  it("cell sets by obs column and by cellIDs: the XML's calibration, shape count per well and structure; --json summary; --png", () => {
    const out = path.join(dir, "sets.xml");
    const png = path.join(dir, "sets.png");
    const r = cellfolio("lmd", "--mask", MASK, "--dataset", DS, "--set", "A1=mitotic=1", "--set", "B2=12,14,15", "--no-join", "--calibration", CAL, "--out", out, "--png", png, "--json");
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const xml = readFileSync(out, "utf8");
    expect(xml.startsWith("<?xml version='1.0' encoding='utf-8'?>\n<ImageData>")).toBe(true);
    const el = elements(xml);
    const value = (tag: string) => el.find(([t]) => t === tag)?.[1];
    expect(value("GlobalCoordinates")).toBe("3");
    // calibration: floor([row, col] * 100), computed here
    const cal = CAL.split(" ").map((p) => p.split(",").map(Number));
    cal.forEach(([row, col], i) => {
      expect(value(`X_CalibrationPoint_${i + 1}`)).toBe(String(Math.floor(row * 100)));
      expect(value(`Y_CalibrationPoint_${i + 1}`)).toBe(String(Math.floor(col * 100)));
    });
    const caps = el.filter(([t]) => t === "CapID").map(([, v]) => v);
    expect(caps.filter((c) => c === "A1").length).toBe(mitotic.length);
    expect(caps.filter((c) => c === "B2").length).toBe(3);
    expect(value("ShapeCount")).toBe(String(mitotic.length + 3));
    // each shape: PointCount then CapID then X_1, Y_1 ... X_n, Y_n
    const shapes = [...xml.matchAll(/<Shape_(\d+)>([\s\S]*?)<\/Shape_\1>/g)];
    expect(shapes.map((m) => Number(m[1]))).toEqual(Array.from({ length: mitotic.length + 3 }, (_, i) => i + 1));
    for (const m of shapes) {
      const e = elements(m[2]);
      const n = Number(e[0][1]);
      expect(e[0][0]).toBe("PointCount");
      expect(e[1][0]).toBe("CapID");
      expect(e.slice(2).map(([t]) => t)).toEqual(Array.from({ length: n }, (_, j) => [`X_${j + 1}`, `Y_${j + 1}`]).flat());
      // inside the slide (in XML units), allowing for the smoothing's reach
      for (const [, v] of e.slice(2)) expect(Number(v)).toBeGreaterThan(-1000);
    }
    expect(summary.shapes).toBe(mitotic.length + 3);
    expect(summary.sets.map((s: { well: string; cells: number }) => [s.well, s.cells])).toEqual([
      ["A1", mitotic.length],
      ["B2", 3],
    ]);
    const points = shapes.reduce((a, m) => a + Number(elements(m[2])[0][1]), 0);
    expect(summary.points).toBe(points);
    expect(summary.sets[0].pathAfter).toBeLessThanOrEqual(summary.sets[0].pathBefore);
    const head = readFileSync(png).subarray(0, 8);
    expect([...head]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("--where matches no cell whose value is missing (a nullable column anndata wrote)", () => {
    const nullable = path.join(dir, "nullable.h5sc");
    // plate: 1 for the first 3 cells, missing for the next 5 (<NA>: pandas stores a 1 under the mask), 0 for the rest
    py(
      `import anndata as ad, pandas as pd, json, sys
src, dst = json.loads(sys.stdin.read())
a = ad.read_h5ad(src)
n = a.n_obs
a.obs["plate"] = pd.array([1] * 3 + [None] * 5 + [0] * (n - 8), dtype="Int64")
a.write_h5ad(dst)
print("{}")`,
      [DS, nullable],
    );
    const out = path.join(dir, "nullable.xml");
    const r = cellfolio("lmd", "--mask", MASK, "--dataset", nullable, "--where", "plate=1", "--no-join", "--calibration", CAL, "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*nullable\.xml: 3 shapes,/);
  });

  it("--cells-file with a CSV header and --well; calibration from a file; text summary", () => {
    const ids = path.join(dir, "ids.csv");
    writeFileSync(ids, "cellID,score\n40,1\n41,2\n\n50,3\n");
    const calFile = path.join(dir, "cal.txt");
    writeFileSync(calFile, "row,col\n0,0\n0,511\n511,255\n");
    const out = path.join(dir, "file.xml");
    const r = cellfolio("lmd", "--mask", MASK, "--cells-file", ids, "--well", "C3", "--calibration", calFile, "--out", out, "--no-join");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*file\.xml: 3 shapes, \d+ points, 1 well/);
    const el = elements(readFileSync(out, "utf8"));
    expect(el.filter(([t]) => t === "CapID").map(([, v]) => v)).toEqual(["C3", "C3", "C3"]);
    expect(el.find(([t]) => t === "Y_CalibrationPoint_2")?.[1]).toBe("51100");
  });
});

describe("bad input: exit 1 or 2, the flag named, nothing written", () => {
  const out = () => path.join(dir, `bad-${Math.random().toString(36).slice(2)}.xml`);
  const nothingWritten = (o: string) => {
    expect(existsSync(o)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  };

  it("a cellID not in the mask", () => {
    const o = out();
    const missing = [999, 1000].filter((id) => !inMask.has(id));
    const r = cellfolio("lmd", "--mask", MASK, "--cells", `40,${missing.join(",")}`, "--calibration", CAL, "--out", o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--mask ${MASK}: no pixel has the cellID ${missing.join(", ")}`);
    nothingWritten(o);
  });

  it("a cellID not in the dataset", () => {
    const o = out();
    const r = cellfolio("lmd", "--mask", MASK, "--dataset", DS, "--cells", "40,5000", "--calibration", CAL, "--out", o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--cells 40,5000: cellID 5000 is not in --dataset");
    nothingWritten(o);
  });

  it("calibration points on one line", () => {
    const o = out();
    const r = cellfolio("lmd", "--mask", MASK, "--cells", "40", "--calibration", "0,0 10,10 30,30", "--out", o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--calibration the points (0, 0), (10, 10), (30, 30) lie on one line");
    nothingWritten(o);
  });

  it("two calibration points", () => {
    const o = out();
    const r = cellfolio("lmd", "--mask", MASK, "--cells", "40", "--calibration", "0,0 10,10", "--out", o);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--calibration 0,0 10,10: expected three points");
    nothingWritten(o);
  });

  it("a mask of another size than the dataset's slide", () => {
    const o = out();
    const r = cellfolio("lmd", "--mask", path.join(dir, "small.tif"), "--dataset", DS, "--where", "mitotic=1", "--calibration", CAL, "--out", o);
    expect(r.code).toBe(1);
    // the sample slide is 512 x 512 (test-data/sample/README.md); extract recorded it in uns
    expect(r.stderr).toMatch(/--mask .*small\.tif: is 256 x 256 pixels, but --dataset .* was extracted from a 512 x 512 slide/);
    nothingWritten(o);
  });

  it("no selection, two selections, --where without --dataset, an unknown obs column", () => {
    const o = out();
    expect(cellfolio("lmd", "--mask", MASK, "--calibration", CAL, "--out", o).stderr).toContain("give exactly one of --cells, --cells-file, --where, or one or more --set");
    expect(cellfolio("lmd", "--mask", MASK, "--cells", "1", "--set", "A1=2", "--calibration", CAL, "--out", o).code).toBe(2);
    expect(cellfolio("lmd", "--mask", MASK, "--where", "mitotic=1", "--calibration", CAL, "--out", o).stderr).toContain("--where mitotic=1: selecting by an obs column needs --dataset FILE");
    const r = cellfolio("lmd", "--mask", MASK, "--dataset", DS, "--where", "mitotc=1", "--calibration", CAL, "--out", o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--where mitotc=1: the dataset has no obs column "mitotc"');
    nothingWritten(o);
  });

  it("an existing --out without --overwrite is kept", () => {
    const o = out();
    writeFileSync(o, "keep");
    const r = cellfolio("lmd", "--mask", MASK, "--cells", "40", "--calibration", CAL, "--out", o);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already exists; pass --overwrite");
    expect(readFileSync(o, "utf8")).toBe("keep");
  });
});
