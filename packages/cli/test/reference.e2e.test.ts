// `cellfolio reference` on bad input: the flag or path named, the exit code
// of its kind, and nothing written at OUT.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-reference-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, "reference", ...args], { encoding: "utf8", cwd: dir });

describe("cellfolio reference: bad input", () => {
  it("an OUT that is not .json is a usage error (exit 2)", () => {
    const r = run("in.h5sc", "out.txt");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/OUT out\.txt: expected a path ending in \.json/);
  });

  it("an IN that is not HDF5: exit 1 naming it, and no OUT nor temporary file", () => {
    writeFileSync(path.join(dir, "notes.h5sc"), "not an HDF5 file at all");
    const r = run("notes.h5sc", "notes.json");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/notes\.h5sc/);
    expect(readdirSync(dir).filter((f) => f.startsWith("notes.json"))).toEqual([]);
  });

  it("a missing IN: exit 1", () => {
    const r = run("missing.h5sc", "m.json");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/IN missing\.h5sc: no such file/);
    expect(existsSync(path.join(dir, "m.json"))).toBe(false);
  });

  it("an existing OUT without --overwrite: exit 1, left as it was", () => {
    writeFileSync(path.join(dir, "notes.h5sc"), "x");
    writeFileSync(path.join(dir, "old.json"), "{}");
    const r = run("notes.h5sc", "old.json");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--overwrite/);
    expect(readFileSync(path.join(dir, "old.json"), "utf8")).toBe("{}");
  });
});
