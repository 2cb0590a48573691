// Shared by the cluster-extraction tests: the built CLI run as separate
// processes (as a scheduler runs parts), one synthetic slide, and zarr-python 3
// / anndata as the judges of the stores.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { py, pyZarr3, REPO_ROOT } from "../../../../test-utils/oracle.js";
import { makeSlide, type Slide } from "../pipeline/helpers.js";

export const CLI = path.join(REPO_ROOT, "packages/cli/dist/bin.js");

/** A slide of about 2,900 cells (2,700 kept with S = 32), in 11 shards of 256 rows. */
export function partsSlide(): Slide {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built; run npx turbo run build --filter=@cellfolio/cli`);
  return makeSlide({ height: 1400, width: 1400, channels: 3, seed: 3 });
}

/** The extract options every run of a test uses (parts and the single run alike). */
export function extractArgs(slide: Slide): string[] {
  return ["--image", slide.image, "--nucleus", slide.nucleus, "--cytosol", slide.cytosol, "--size", "32", "--shard-rows", "256", "--threads", "1", "--quiet"];
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `cellfolio ARGS` as its own process. */
export function startCli(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Every group, array, attribute and value of two stores compared by zarr-python 3 (float16 bit for bit). */
const COMPARE = `
import json, sys
import numpy as np, zarr
a_path, b_path = json.loads(sys.stdin.read())
A = zarr.open_group(a_path, mode="r")
B = zarr.open_group(b_path, mode="r")
diffs, arrays = [], 0
def walk(ga, gb, p):
    global arrays
    if dict(ga.attrs) != dict(gb.attrs):
        diffs.append(p + ": attrs differ")
    ka = sorted(k for k, _ in ga.members())
    kb = sorted(k for k, _ in gb.members())
    if ka != kb:
        diffs.append(f"{p}: members {ka} vs {kb}")
        return
    for k in ka:
        x, y, q = ga[k], gb[k], f"{p}/{k}"
        if isinstance(x, zarr.Group):
            walk(x, y, q)
            continue
        arrays += 1
        if dict(x.attrs) != dict(y.attrs):
            diffs.append(q + ": attrs differ")
        meta = lambda z: (z.shape, str(z.dtype), z.chunks, getattr(z, "shards", None), str(z.metadata.codecs) if hasattr(z.metadata, "codecs") else None)
        if meta(x) != meta(y):
            diffs.append(f"{q}: metadata {meta(x)} vs {meta(y)}")
            continue
        xa, ya = np.asarray(x[...]), np.asarray(y[...])  # zarr-python 3.4 gives a 0-d string array as str
        if xa.dtype == np.float16:
            same = np.array_equal(xa.view(np.uint16), ya.view(np.uint16))
        elif xa.dtype.kind == "f":
            same = np.array_equal(xa, ya, equal_nan=True)  # cells without a label hold NaN
        else:
            same = np.array_equal(xa, ya)
        if not same:
            diffs.append(q + ": values differ")
walk(A, B, "")
img = A["obsm/single_cell_images"]
print(json.dumps({"diffs": diffs, "arrays": arrays, "shape": list(img.shape), "shards": list(img.shards or []), "nonzero": int(np.count_nonzero(img[...])), "ids": [int(i) for i in A["obs/scportrait_cell_id"][...]]}))
`;

export interface Comparison {
  diffs: string[];
  arrays: number;
  shape: number[];
  shards: number[];
  nonzero: number;
  ids: number[];
}

export function compareStores(a: string, b: string): Comparison {
  return pyZarr3(COMPARE, [a, b]);
}

/** Whether zarr-python 3 refuses to open `store` as a group (an unfinished store must not look like a dataset). */
export function zarrRefuses(store: string): { refused: boolean; error: string } {
  return pyZarr3(
    `
import json, sys, zarr
p = json.loads(sys.stdin.read())
try:
    zarr.open_group(p, mode="r")
    print(json.dumps({"refused": False, "error": ""}))
except Exception as e:
    print(json.dumps({"refused": True, "error": type(e).__name__ + ": " + str(e)}))
`,
    store,
  );
}

/** anndata 0.8 (Debian 12) reads an .h5ad: shape, obs ids, and the images' shape. */
export function anndataReads(h5ad: string): { n_obs: number; ids: number[]; images: number[] } {
  return py(
    `
import json, sys, anndata
a = anndata.read_h5ad(json.loads(sys.stdin.read()))
print(json.dumps({"n_obs": int(a.n_obs), "ids": [int(i) for i in a.obs["scportrait_cell_id"]], "images": list(a.obsm["single_cell_images"].shape)}))
`,
    h5ad,
  );
}
