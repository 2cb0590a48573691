// validate and info on every single-cell layout of test-data/layouts, through
// the real binary: each names its layout and version; older layouts are valid
// (exit 0) with notes on what a newer scPortrait writes differently.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const DIR = path.join(TEST_DATA, "layouts");

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const CASES: [string, string, RegExp[]][] = [
  [
    "scportrait-1.3.0.h5adsc",
    "scPortrait 1.3.0 (cell_id uint32, var columns as channel names, pipeline)",
    [/obs\/scportrait_cell_id \(this file: obs\/cell_id\)/, /uint64 \(this file: uint32\)/, /a row a channel/, /single_cells\.h5sc \(this file: \.h5adsc\)/],
  ],
  ["scportrait-1.3.1.h5sc", "scPortrait 1.3.1-1.3.2 (cell_id uint64, var channels / channel_mapping, pipeline)", [/obs\/scportrait_cell_id \(this file: obs\/cell_id\)/]],
  ["scportrait-1.3.3.h5sc", "scPortrait >= 1.3.3 (scportrait_cell_id uint64, pipeline)", []],
  ["numpy_to_h5sc.h5sc", "scPortrait >= 1.3.3 (scportrait_cell_id uint64, numpy_to_h5sc / write_h5sc)", []],
  ["sparcspy.h5", "SPARCSpy (single_cell_data + single_cell_index)", [/scPortrait writes an AnnData \.h5sc instead/]],
];

describe.each(CASES)("%s", (name, layout, notes) => {
  const file = path.join(DIR, name);

  it("validate names the layout, notes what a newer scPortrait changes, exit 0", () => {
    const r = cellfolio("validate", "--json", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { severity: string; message: string }[] };
    expect(out.valid).toBe(true);
    const noted = out.problems.filter((p) => p.severity === "note").map((p) => p.message);
    expect(noted[0]).toBe(`layout: ${layout}`);
    expect(noted.slice(1)).toHaveLength(notes.length);
    for (const [i, re] of notes.entries()) expect(noted[i + 1]).toMatch(re);
    expect(out.problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("info shows the layout", () => {
    const r = cellfolio("info", file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`    layout     ${layout}\n`);
    expect(r.stdout).toContain("    cells      3\n");
  });
});
