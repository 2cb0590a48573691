// openHdf5 (our reader, no wasm) against h5py 3.7: every .h5ad of anndata's
// archives (test-data/anndata-archives) and an scPortrait-like .h5sc list the same tree, attributes
// and values as h5py reads.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hdf5File } from "@cellfolio/hdf5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py, TEST_DATA } from "../../../../test-utils/oracle.js";
import { FormatError } from "../../src/errors.js";
import { openHdf5 } from "../../src/hdf5/reader.js";
import { compareStore, DUMP_SCRIPT, FIXTURE_SCRIPT } from "./store-compare.js";

const ARCHIVES = path.join(TEST_DATA, "anndata-archives");
const h5ads = readdirSync(ARCHIVES).flatMap((v) =>
  readdirSync(path.join(ARCHIVES, v))
    .filter((f) => f.endsWith(".h5ad"))
    .map((f) => path.join(ARCHIVES, v, f)),
);

const dir = mkdtempSync(path.join(tmpdir(), "open-hdf5-"));
beforeAll(() => {
  py(FIXTURE_SCRIPT, { dir, set: "default" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(file: string): Promise<number> {
  const dump = py(DUMP_SCRIPT, { file, values: true });
  const r = await openHdf5(file);
  const diffs: string[] = [];
  let n: number;
  try {
    n = await compareStore(r, dump, diffs);
  } finally {
    await r.close();
  }
  expect(diffs).toEqual([]);
  return n;
}

describe("openHdf5 equals h5py", () => {
  it("finds the archives in test-data", () => {
    expect(h5ads.length).toBeGreaterThanOrEqual(4);
  });

  it.each(h5ads.map((f) => [path.relative(ARCHIVES, f), f]))("%s", async (_name, file) => {
    expect(await check(file)).toBeGreaterThan(1);
  });

  it("an scPortrait-like .h5sc: float16 lzf image stack, '/'-keys as plain groups, byte-string attributes", async () => {
    const file = path.join(dir, "scportrait.h5sc");
    expect(await check(file)).toBeGreaterThan(5);
    const r = await openHdf5(file);
    try {
      const info = await r.get("obsm/single_cell_images");
      expect(info).toMatchObject({ kind: "array", dtype: "float16", shape: [12, 5, 16, 16], chunks: [1, 1, 16, 16], compression: "lzf" });
      expect(info!.attrs.channel_mapping).toEqual(["mask", "mask", "image_channel", "image_channel", "image_channel"]);
      expect(info!.attrs.normalization).toBe(true);
      expect(await r.list("uns/single_cell_images")).toEqual(["channel_names", "image_size", "n_cells"]);
      // One cell's stack against h5py's read of the same hyperslab.
      const block = await r.readBlock("obsm/single_cell_images", [7, 0, 0, 0], [1, 5, 16, 16]);
      const expected = py(
        "import h5py, json, sys, numpy as np\nf = h5py.File(json.loads(sys.stdin.read()), 'r')\nprint(json.dumps(f['obsm/single_cell_images'][7:8].view(np.uint16).ravel().tolist()))",
        file,
      );
      expect(Array.from(block.data as Uint16Array)).toEqual(expected);
    } finally {
      await r.close();
    }
  });

  it("a missing element or a bad path gives a FormatError naming the file and path", async () => {
    const r = await openHdf5(path.join(dir, "dtypes.h5"));
    try {
      expect(await r.get("nope/not_here")).toBeNull();
      await expect(r.readArray("nope")).rejects.toThrow(FormatError);
      await expect(r.readArray("nope")).rejects.toThrow(/dtypes\.h5: \/nope: no such element/);
      await expect(r.readBlock("matrix", [10, 0], [5, 5])).rejects.toThrow(/\/matrix: hyperslab/);
      await expect(r.readArray("compound")).rejects.toThrow(/readRecords/);
    } finally {
      await r.close();
    }
    await expect(openHdf5(path.join(dir, "does-not-exist.h5ad"))).rejects.toThrow(/does-not-exist\.h5ad.*no such file/);
  });
});

describe("filters our reader does not decode", () => {
  it("a zstd dataset (written by h5wasm with its plugin) is read through the h5wasm fallback", async () => {
    const file = path.join(dir, "zstd.h5");
    const h5wasm = (await import("h5wasm/node")).default;
    const Module = await h5wasm.ready;
    const pluginsModule = "h5wasm-plugins";
    const plugins: any = await import(pluginsModule);
    plugins.install_local_plugins(Module);
    const values = new Float32Array(1000).map((_, i) => i * 0.25 - 7);
    const w = new h5wasm.File(file, "w");
    w.create_dataset({ name: "z", data: values, shape: [100, 10], dtype: "<f4", chunks: [10, 10], compression: 32015, compression_opts: [] });
    w.close();
    const r = await openHdf5(file);
    try {
      const info = await r.get("z");
      expect(info).toMatchObject({ dtype: "float32", shape: [100, 10], chunks: [10, 10], compression: "zstd" });
      const block = await r.readBlock("z", [37, 2], [5, 6]);
      const expected: number[] = [];
      for (let i = 37; i < 42; i++) for (let j = 2; j < 8; j++) expected.push(values[i * 10 + j]);
      expect(Array.from(block.data as Float32Array)).toEqual(expected);
    } finally {
      await r.close();
    }
    // Our reader alone names the filter it cannot decode.
    const f = await Hdf5File.open(file);
    await expect((await f.dataset("z")).read()).rejects.toThrow(/zstd\.h5: \/z: filter 32015 \(zstd\) is not supported/);
    await f.close();
  });
});
