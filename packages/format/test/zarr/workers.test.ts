// The codec worker threads only run from the built package (dist/), where the
// worker is a .js file: write and read there, in a child process, and let
// zarr-python judge. Skipped when the package has not been built.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasDebian13, hostPath, py, py13, REPO_ROOT } from "../../../../test-utils/oracle.js";
import { scratch } from "./helpers.js";

const DIST = path.join(REPO_ROOT, "packages/format/dist");
const built = existsSync(path.join(DIST, "zarr/codec-worker.js")) && existsSync(path.join(DIST, "index.js"));
const { dir, cleanup } = scratch("workers");
afterAll(cleanup);

const SCRIPT = `
import { createZarr, openZarr } from ${JSON.stringify(path.join(DIST, "index.js"))};
const [target, fmt] = process.argv.slice(1);
const n = 40, row = 3 * 64 * 64;
const data = new Uint16Array(n * row);
for (let i = 0; i < data.length; i++) data[i] = 0x3c00 + ((i * 7919) % 977); // halves in [1, 2)
const w = await createZarr(target, { zarrFormat: Number(fmt) });
const aw = await w.createArray("x", { shape: [n, 3, 64, 64], dtype: "float16", chunks: [1, 3, 64, 64], shards: fmt === "3" ? [16, 3, 64, 64] : null });
for (let i = 0; i < n; i++) await aw.setBlock([i, 0, 0, 0], { dtype: "float16", shape: [1, 3, 64, 64], data: data.slice(i * row, (i + 1) * row) });
await w.close();
const r = await openZarr(target);
const back = await r.readArray("x");
let same = back.data.length === data.length;
for (let i = 0; same && i < data.length; i++) same = back.data[i] === data[i];
let sum = 0;
for (const v of data) sum += v;
console.log(JSON.stringify({ same, sumBits: sum }));
`;

const PY = `
import json, sys, zarr, numpy as np
inp = json.loads(sys.stdin.read())
a = zarr.open_array(inp["path"], mode="r")[...]
print(json.dumps({"sumBits": int(a.view("<u2").astype(np.int64).sum()), "shape": list(a.shape)}))
`;

describe.runIf(built)("codec workers (built package)", () => {
  it("start under node flags a worker refuses (--max-old-space-size), as users run big jobs", () => {
    const target = path.join(dir, "flags.zarr");
    const res = spawnSync(process.execPath, ["--max-old-space-size=2048", "--stack-size=2000", "--input-type=module", "-e", SCRIPT, target, "2"], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim().split("\n").pop() as string).same).toBe(true);
  });

  for (const fmt of ["2", "3"]) {
    it(`v${fmt}: blosc chunks encoded and decoded in workers read equal here and in zarr-python`, () => {
      const target = path.join(dir, `w${fmt}.zarr`);
      const res = spawnSync(process.execPath, ["--input-type=module", "-e", SCRIPT, target, fmt], { encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
      const ours = JSON.parse(res.stdout.trim().split("\n").pop() as string);
      expect(ours.same).toBe(true);
      const theirs = fmt === "2" ? py(PY, { path: path.join(target, "x") }) : hasDebian13() ? py13(PY, { path: hostPath(path.join(target, "x")) }) : null;
      if (theirs) {
        expect(theirs.shape).toEqual([40, 3, 64, 64]);
        expect(theirs.sumBits).toBe(ours.sumBits);
      }
    });
  }
});
