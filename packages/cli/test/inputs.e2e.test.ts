// `cellfolio extract` on inputs as people have them: what the
// summary says about a binary mask and masks matched by overlap, the exit code
// and the one-line error when most cells would have no cytosol or channel
// names clash, and that nothing is left at the output path then.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PYTHON12, REPO_ROOT } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SCRIPTS = path.join(REPO_ROOT, "packages/extract/test/pipeline");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-cli-inputs-"));
const slide = path.join(dir, "slide");
let made: { binary_components: number; outside: number[]; split: number[]; shared: number[]; unmatched_cytosols: number[] };

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function python(script: string, ...args: string[]): any {
  const res = spawnSync(PYTHON12, [path.join(SCRIPTS, script), ...args], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${script} failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").pop() as string);
}

beforeAll(() => {
  expect(existsSync(BIN), `${BIN} missing: run the build first`).toBe(true);
  python("make_slide.py", slide, JSON.stringify({ height: 200, width: 260, channels: 3, seed: 5 }));
  made = python("make_inputs.py", slide, JSON.stringify({ height: 200, width: 260 }));
});

const base = (out: string) => ["extract", "--image", path.join(slide, "image.tif"), "--size", "32", "--threads", "1", "--quiet", "--out", out];

describe("cellfolio extract: inputs as people have them", () => {
  it("a binary nucleus mask and an independent cytosol segmentation: labelled, matched by overlap, and said so", () => {
    const out = path.join(dir, "matched.h5sc");
    const r = cellfolio(...base(out), "--nucleus", path.join(slide, "nucleus_bin.tif"), "--cytosol", path.join(slide, "cytosol_ind.tif"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`nucleus mask is binary: labelled ${made.binary_components} connected components (8-connected)`);
    expect(r.stdout).toMatch(/matched nucleus and cytosol masks by overlap \(their ids differ\): \d+ nuclei unmatched, not written/);
    expect(r.stdout).toMatch(/cytosols without a nucleus, left out: \d+ \(cytosol labels /);
  });

  it("independent segmentations with the ids kept as labels: each unmatched group with count and ids", () => {
    const out = path.join(dir, "overlap.h5sc");
    const r = cellfolio(...base(out), "--nucleus", path.join(slide, "nucleus.tif"), "--cytosol", path.join(slide, "cytosol_ind.tif"), "--match", "overlap");
    expect(r.code, r.stderr).toBe(0);
    const n = made.outside.length + made.split.length + made.shared.length;
    expect(r.stdout).toContain(`matched nucleus and cytosol masks by overlap (their ids differ): ${n} nuclei unmatched, not written`);
    expect(r.stdout).toContain(`  reaching outside every cytosol: ${made.outside.length} (ids ${made.outside.join(", ")})`);
    expect(r.stdout).toContain(`  no cytosol covering --match-threshold of them: ${made.split.length} (ids ${made.split.join(", ")})`);
    expect(r.stdout).toContain(`  sharing one cytosol with another nucleus: ${made.shared.length} (ids ${made.shared.join(", ")})`);
    expect(r.stdout).toContain(`cytosols without a nucleus, left out: ${made.unmatched_cytosols.length} (cytosol labels ${made.unmatched_cytosols.join(", ")})`);
  });

  it("--match ids on independent segmentations stops with exit 1, one line naming the file and --match overlap; no output", () => {
    const out = path.join(dir, "ids", "cells.h5sc");
    const r = cellfolio(...base(out), "--nucleus", path.join(slide, "nucleus.tif"), "--cytosol", path.join(slide, "cytosol_ind.tif"), "--match", "ids");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cytosol_ind\.tif: 80 of 80 cells have no pixel of their id in the cytosol mask .*--match overlap/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });

  it("--binary-masks refuse, bad --match values, duplicate and mask-named --channel-names", () => {
    const nucleus = ["--nucleus", path.join(slide, "nucleus.tif")];
    const r1 = cellfolio(...base(path.join(dir, "r1.h5sc")), "--nucleus", path.join(slide, "nucleus_bin.tif"), "--binary-masks", "refuse");
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/nucleus_bin\.tif: the nucleus mask is binary \(one label, 255, over \d+ separate regions\).*--binary-masks label/);
    expect(cellfolio(...base(path.join(dir, "r2.h5sc")), ...nucleus, "--match", "best").code).toBe(2);
    expect(cellfolio(...base(path.join(dir, "r2.h5sc")), ...nucleus, "--binary-masks", "maybe").code).toBe(2);
    const r3 = cellfolio(...base(path.join(dir, "r3.h5sc")), ...nucleus, "--channel-names", "dna,a,dna");
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain(`"dna" names two channels in --channel-names; expected a different name for each channel`);
    const r4 = cellfolio(...base(path.join(dir, "r4.h5sc")), ...nucleus, "--channel-names", "dna,nucleus_mask,b");
    expect(r4.code).toBe(1);
    expect(r4.stderr).toContain(`channel 1 is named "nucleus_mask" in --channel-names, the name of a mask channel`);
    for (const f of ["r1.h5sc", "r2.h5sc", "r3.h5sc", "r4.h5sc"]) expect(existsSync(path.join(dir, f))).toBe(false);
  });

  it("--labels with a column extract writes itself (centroids in µm from another tool), a mask with negative labels: exit 1, one line naming the file; no output", () => {
    const nucleus = ["--nucleus", path.join(slide, "nucleus.tif")];
    const csv = path.join(dir, "um.csv");
    writeFileSync(csv, "cellID,centroid_x,centroid_y\n1,1.5,2.5\n2,3.5,4.5\n");
    const r1 = cellfolio(...base(path.join(dir, "l1.h5sc")), ...nucleus, "--labels", csv);
    expect(r1.code).toBe(1);
    expect(r1.stderr.trim().split("\n")).toHaveLength(1);
    expect(r1.stderr).toMatch(/um\.csv: column "centroid_x" is an obs column extract writes itself .*rename the column/);
    const neg = path.join(dir, "nucleus_neg.tif");
    const made = spawnSync(PYTHON12, ["-c", `import sys, numpy as np, tifffile\ntifffile.imwrite(sys.argv[2], -tifffile.imread(sys.argv[1]).astype(np.int32))`, path.join(slide, "nucleus.tif"), neg]);
    expect(made.status, String(made.stderr)).toBe(0);
    const r2 = cellfolio(...base(path.join(dir, "l2.h5sc")), "--nucleus", neg);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim().split("\n")).toHaveLength(1);
    expect(r2.stderr).toMatch(/nucleus_neg\.tif: the nucleus mask holds \d+ negative label\(s\) \(-1, -2, .*relabel it to positive ids/);
    for (const f of ["l1.h5sc", "l2.h5sc"]) expect(existsSync(path.join(dir, f))).toBe(false);
  });
});
