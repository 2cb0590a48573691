// Hostile inputs through the real binary: a corrupt gzip chunk in a read of
// many chunks (the sample's 1,140 image chunks) fails validate and convert
// with one line naming file, element and chunk, exit 1, and convert leaves
// nothing behind; the hostile reproducers of test-data/hostile likewise; and
// a small seeded round of scripts/fuzz.mjs (the large one is run by hand).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openHdf5File } from "@cellfolio/hdf5/node";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, skipPeer, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const S = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-hostile-"));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir, timeout: 20_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** stderr without progress lines: what a user reads as the error. */
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l && !/^\d{4}-\d\d-\d\d /.test(l));

describe("a corrupt gzip chunk in a read of many chunks", () => {
  const bad = path.join(dir, "bad.h5sc");
  let chunk: { address: number; offset: number[] };
  beforeAll(async () => {
    const good = path.join(dir, "sample.h5sc");
    const r = cellfolio("extract", "--image", path.join(S, "image.tif"), "--nucleus", path.join(S, "nucleus.tif"), "--size", "48", "--out", good, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const f = await openHdf5File(good);
    const index = await (await f.dataset("obsm/single_cell_images")).chunkIndex();
    await f.close();
    expect(index.length).toBeGreaterThan(500);
    chunk = index[100];
    const b = readFileSync(good);
    for (let k = 0; k < 20; k++) b[chunk.address + 10 + k] ^= 0xff;
    writeFileSync(bad, b);
  });

  it("validate reports it (exit 1), naming file, element and chunk", () => {
    const r = cellfolio("validate", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // the report's own lines name the file (its summary) and the element: said once each
    const line = `error: /obsm/single_cell_images: unreadable data: chunk at [${chunk.offset.join(", ")}] (address ${chunk.address}): deflate:`;
    const errors = r.stdout.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors.length, r.stdout).toBe(1);
    expect(errors[0]).toContain(line);
    expect(errors[0].split("/obsm/single_cell_images").length - 1, r.stdout).toBe(1);
    expect(r.stdout).toContain(`${bad}: 1 problems`);
  });

  it.each([["out.zarr"], ["out.h5sc"]])("convert to %s fails with one line and leaves nothing", (out) => {
    const r = cellfolio("convert", bad, out, "--quiet");
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^cellfolio convert: ${bad}: /obsm/single_cell_images: chunk at \\[${chunk.offset.join(", ")}\\].*deflate`)),
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith("out."))).toEqual([]);
  });
});

describe("the committed hostile reproducers: exit 1, one line naming file and element, no output left", () => {
  it.each([
    ["bad-gzip.h5ad", /\/X: chunk at \[8, 0\] .*deflate/],
    ["cycle.h5ad", /\/uns\/loop/],
    ["selflink.h5ad", /\/uns\/self: no such element/],
    ["dim-2e32.h5ad", /\/X: .*4294967297/],
    ["shape-2e64.zarr", /\/X: shape\[0\] is 18446744073709552000/],
    ["bad-crc.zarr.zip", /\/X: chunk 0\.0: bad CRC-32/],
    ["bad-blosc.zarr", /\/X: chunk 0\.0: .*blosc: corrupt frame header/],
  ])("%s", (name, problem) => {
    const input = path.join(TEST_DATA, "hostile", name);
    const out = name.endsWith(".h5ad") ? "o.zarr" : "o.h5ad";
    const r = cellfolio("convert", input, out, "--quiet");
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(`cellfolio convert: ${input}: `);
    expect(lines[0]).toMatch(problem);
    expect(readdirSync(dir).filter((f) => f.startsWith("o."))).toEqual([]);
    const v = cellfolio("validate", input);
    expect(v.code).toBe(1);
    expect(`${v.stderr}${v.stdout}`).not.toMatch(/^\s+at |is not a function|Invalid array length/m);
  });
});

describe.skipIf(skipPeer("latest"))("fuzz (small seeded round; node scripts/fuzz.mjs --count 400 for a large one)", () => {
  it("no crash, hang, memory blow-up, wrong accept, wrong copy or leftover", () => {
    const res = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, "scripts/fuzz.mjs"), "--count", "5", "--seed", "19", "--jobs", "2", "--time-budget", "30", "--json"],
      { encoding: "utf8", cwd: REPO_ROOT, env: { ...process.env, TMPDIR: dir }, timeout: 170_000 },
    );
    const summary = JSON.parse(res.stdout.trim().split("\n").pop() ?? "{}");
    expect(summary.cases).toBeGreaterThan(0);
    expect(summary.grave, JSON.stringify(summary.grave, null, 1)).toEqual([]);
    expect(summary.peakMb).toBeLessThan(600);
    expect(res.status).toBe(0);
  }, 180_000);
});

