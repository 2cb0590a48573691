// Ctrl-C (SIGINT) and SIGTERM in the middle of extract and convert: the real
// binary, signalled once its temporary output exists; no file may be left at
// the output path nor beside it, and the exit code is 130 / 143.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { py, pyZarr3, REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-signals-"));

/** Runs the CLI, sends `signal` once stderr shows `when`, and resolves with the exit code and the output. */
function interrupt(args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stderr: string; sentAt: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let sentAt = "";
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!sentAt && when.test(stderr)) {
        sentAt = stderr.trim().split("\n").at(-1) ?? "";
        // the temporary output exists from this line on
        child.kill(signal);
      }
    });
    child.stdout.resume();
    child.on("error", reject);
    child.on("exit", (code, sig) => resolve({ code, signal: sig, stderr, sentAt }));
  });
}

const leftovers = (folder: string, base: string) => readdirSync(folder).filter((f) => f.startsWith(base));

describe("signals during extract and convert", () => {
  const slide = path.join(dir, "slide");
  beforeAll(() => {
    // The sample tiled 2 x 2 (1,164 cells): long enough to be signalled mid-run.
    py(
      `
import json, sys, os, numpy as np, tifffile
d = json.loads(sys.stdin.read())
src, out = d["src"], d["out"]
os.makedirs(out, exist_ok=True)
img = tifffile.imread(os.path.join(src, "image.tif"))
tifffile.imwrite(os.path.join(out, "image.tif"), np.tile(img, (1, 2, 2)), photometric="minisblack")
for name in ("nucleus", "cytosol"):
    m = tifffile.imread(os.path.join(src, name + ".tif")).astype(np.uint32)
    n = int(m.max())
    tiles = [[np.where(m > 0, m + n * (2 * i + j), 0) for j in range(2)] for i in range(2)]
    tifffile.imwrite(os.path.join(out, name + ".tif"), np.block(tiles).astype(np.uint32))
print("null")`,
      { src: SAMPLE, out: slide },
    );
  });

  const extractArgs = (out: string) => [
    "extract",
    "--image", path.join(slide, "image.tif"),
    "--nucleus", path.join(slide, "nucleus.tif"),
    "--cytosol", path.join(slide, "cytosol.tif"),
    "--size", "128", "--border", "pad", "--threads", "1",
    "--out", out,
  ];

  for (const [signal, code, ext] of [["SIGINT", 130, "h5sc"], ["SIGTERM", 143, "zarr"]] as const) {
    it(`${signal} during extract to .${ext}: exit ${code}, no output, no temporary file`, async () => {
      const out = path.join(dir, `extract-${signal}.${ext}`);
      const r = await interrupt(extractArgs(out), /starting \d+ worker|of \d+ cells/, signal);
      expect(r.sentAt, r.stderr).not.toBe("");
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(`interrupted (${signal})`);
      expect(r.stderr).toMatch(/removed .*\.tmp-/);
      expect(existsSync(out)).toBe(false);
      expect(leftovers(dir, path.basename(out))).toEqual([]);
    });
  }

  it("SIGINT during convert: exit 130, no output, no temporary file; an existing output is left as it was", async () => {
    const input = path.join(dir, "whole.h5sc");
    const made = spawnSync(process.execPath, [BIN, ...extractArgs(input).map((a) => (a === "1" ? "2" : a)), "--quiet"], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    const out = path.join(dir, "converted.zarr");
    const r = await interrupt(["convert", input, out, "--compression", "gzip:9"], /writing /, "SIGINT");
    expect(r.code, r.stderr).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(dir, "converted.zarr")).toEqual([]);
    // with --overwrite over an existing output: the old one stays whole
    const again = await interrupt(["convert", input, input.replace(".h5sc", "-copy.h5sc"), "--compression", "gzip:9"], /writing /, "SIGTERM");
    expect(again.code, again.stderr).toBe(143);
    expect(leftovers(dir, "whole-copy.h5sc")).toEqual([]);
    const over = await interrupt(["convert", input, input, "--overwrite", "--compression", "gzip:9"], /writing /, "SIGINT");
    expect(over.code, over.stderr).toBe(130);
    expect(leftovers(dir, "whole.h5sc")).toEqual(["whole.h5sc"]);
    expect(spawnSync(process.execPath, [BIN, "validate", input, "--metadata-only"]).status).toBe(0);
  });
});

describe("a signal during a long copy of chunks that settle at once", () => {
  it("SIGTERM while writing 2 GB of unwritten (fill) chunks: exit 143 within 2 s, nothing left", async () => {
    // The sample's images made 200,000 cells long by h5py, no chunk written:
    // reading fill and buffering chunks into shards never waits on I/O, so
    // without a turn for the event loop the signal handler waited to the end.
    const small = path.join(dir, "small.h5sc");
    const args = ["extract", "--image", path.join(SAMPLE, "image.tif"), "--nucleus", path.join(SAMPLE, "nucleus.tif")];
    const made = spawnSync(process.execPath, [BIN, ...args, "--cytosol", path.join(SAMPLE, "cytosol.tif"), "--size", "32", "--out", small, "--quiet"], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    const input = path.join(dir, "long.h5sc");
    pyZarr3(
      `import h5py, json, shutil, sys
a = json.loads(sys.stdin.read())
shutil.copy(a["src"], a["out"])
with h5py.File(a["out"], "a") as f:
    old = f["obsm/single_cell_images"]
    attrs, dtype, shape, chunks = dict(old.attrs), old.dtype, old.shape, old.chunks
    del f["obsm/single_cell_images"]
    d = f.create_dataset("obsm/single_cell_images", shape=(200000,) + shape[1:], dtype=dtype, chunks=chunks)
    for k, v in attrs.items():
        d.attrs[k] = v
print("null")`,
      { src: small, out: input },
    );
    const out = path.join(dir, "long.zarr");
    const child = spawn(process.execPath, [BIN, "convert", input, out], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.resume();
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on("exit", (code) => resolve({ code, at: Date.now() })));
    // signalled 2 s into the writing, deep in the copy
    await new Promise<void>((resolve) =>
      child.stderr.on("data", (d) => {
        stderr += d;
        if (/writing /.test(stderr)) setTimeout(resolve, 2000);
      }),
    );
    const sent = Date.now();
    child.kill("SIGTERM");
    const r = await exited;
    expect(r.code, stderr).toBe(143);
    expect(r.at - sent, stderr).toBeLessThan(2000);
    expect(stderr).toContain("interrupted (SIGTERM)");
    expect(leftovers(dir, "long.zarr")).toEqual([]);
  }, 120_000);
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
