// Our writer's stores read by zarr-python 2 (Debian 12) and 3 (PyPI peer 'latest'), and
// zarr-python 3's stores read here: every dtype, partial edge chunks and shards, each codec.
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3 } from "../../../../test-utils/oracle.js";
import type { Compression, DType } from "../../src/types.js";
import { createZarr, openZarr } from "../../src/zarr/index.js";
import { ALL_DTYPES, makeArray, PY_READ, scratch, toPlain } from "./helpers.js";

const { dir, cleanup } = scratch("roundtrip");
afterAll(cleanup);

const CODECS: Record<string, Compression> = {
  none: { codec: "none" },
  gzip: { codec: "gzip", level: 1, shuffle: true },
  zstd: { codec: "zstd", level: 3 },
  "blosc-lz4-shuffle": { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" },
  "blosc-zstd": { codec: "blosc", cname: "zstd", clevel: 3, shuffle: "none" },
  "blosc-zlib-shuffle": { codec: "blosc", cname: "zlib", clevel: 3, shuffle: "byte" },
};

// Shape (7, 5) with chunks (3, 2): partial edge chunks on both axes.
const SHAPE = [7, 5];
const CHUNKS = [3, 2];

interface Written {
  name: string;
  dtype: DType;
  values: unknown;
}

async function writeAll(target: string, zarrFormat: 2 | 3, shards?: number[]): Promise<Written[]> {
  const w = await createZarr(target, { zarrFormat });
  await w.createGroup("", { title: "round trip", nested: { list: [1, 2.5, "x"] } });
  const out: Written[] = [];
  let seed = 1;
  for (const [cname, compression] of Object.entries(CODECS)) {
    await w.createGroup(cname, { codec: cname });
    for (const dtype of ALL_DTYPES) {
      const a = makeArray(dtype, SHAPE, seed++);
      const name = `${cname}/${dtype}`;
      const sh = dtype === "string" ? null : shards;
      // Written in two row blocks, as a streaming copy would.
      const aw = await w.createArray(name, { shape: SHAPE, dtype, chunks: CHUNKS, shards: sh ?? null, compression, attrs: { dtype } });
      const rows = aw.unit[0];
      for (let r = 0; r < SHAPE[0]; r += rows) {
        const k = Math.min(rows, SHAPE[0] - r);
        const block = { dtype, shape: [k, SHAPE[1]], data: (a.data as any).slice(r * SHAPE[1], (r + k) * SHAPE[1]) };
        await aw.setBlock([r, 0], block);
      }
      await aw.close();
      out.push({ name, dtype, values: toPlain(a) });
    }
  }
  // A scalar and an empty array, as anndata writes them.
  await w.writeArray("scalar", { dtype: "float64", shape: [], data: new Float64Array([3.25]) });
  await w.writeArray("empty", { dtype: "int32", shape: [0], data: new Int32Array(0) });
  await w.writeArray("string-scalar", { dtype: "string", shape: [], data: ["ünïcode scalar"] });
  // Array-valued attributes go out as JSON lists, as zarr-python writes numpy arrays.
  await w.setAttrs("scalar", {
    f16: { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    i64: { dtype: "int64", shape: [2, 2], data: new BigInt64Array([1n, -2n, 3n, 4n]) },
    flag: true,
    nan: Number.NaN,
  });
  out.push(
    { name: "scalar", dtype: "float64", values: 3.25 },
    { name: "empty", dtype: "int32", values: [] },
    { name: "string-scalar", dtype: "string", values: "ünïcode scalar" },
  );
  await w.close();
  return out;
}

function compare(written: Written[], got: Record<string, { shape: number[]; values: unknown }>) {
  for (const w of written) {
    expect(got[w.name], w.name).toBeDefined();
    expect(got[w.name].values, w.name).toEqual(w.values);
  }
}

describe("Zarr v2 written here", async () => {
  const target = path.join(dir, "v2.zarr");
  const written = await writeAll(target, 2);
  it("reads equal in zarr-python 2 (consolidated)", () => {
    const got = py(PY_READ, { path: target, names: written.map((w) => w.name), consolidated: true });
    compare(written, got);
    expect(got["gzip/float16"].dtype).toBe("float16");
    expect(got["gzip/bool"].dtype).toBe("bool");
    expect(got["gzip/string"].dtype).toBe("object");
    expect(got.scalar.attrs).toMatchObject({ f16: [1, -2], i64: [
      [1, -2],
      [3, 4],
    ], flag: true, nan: "NaN" });
  });
  it("reads equal here, in blocks that cut chunks", async () => {
    const r = await openZarr(target);
    expect(r.zarrFormat).toBe(2);
    for (const w of written) expect(toPlain(await r.readArray(w.name)), w.name).toEqual(w.values);
    const b = await r.readBlock("zstd/int32", [2, 1], [4, 3]);
    const full = written.find((w) => w.name === "zstd/int32")?.values as number[][];
    expect(toPlain(b)).toEqual(full.slice(2, 6).map((row) => row.slice(1, 4)));
    expect((await r.get(""))?.attrs).toEqual({ title: "round trip", nested: { list: [1, 2.5, "x"] } });
    await r.close();
  });
  it.runIf(hasZarr3())("reads equal in zarr-python 3", () => {
    const got = pyZarr3(PY_READ, { path: target, names: written.map((w) => w.name), consolidated: true });
    compare(written, got);
  });
});

describe.runIf(hasZarr3())("Zarr v3 written here", async () => {
  const plain = path.join(dir, "v3.zarr");
  const sharded = path.join(dir, "v3-sharded.zarr");
  const writtenPlain = await writeAll(plain, 3, undefined);
  // Shards (6, 4) over (7, 5): partial shards on both axes, partial inner chunks.
  const writtenSharded = await writeAll(sharded, 3, [6, 4]);
  it("unsharded reads equal in zarr-python 3 (consolidated)", () => {
    const got = pyZarr3(PY_READ, { path: plain, names: writtenPlain.map((w) => w.name), consolidated: true });
    compare(writtenPlain, got);
    expect(got["none/float16"].dtype).toBe("float16");
    expect(got["gzip/uint64"].dtype).toBe("uint64");
  });
  it("sharded reads equal in zarr-python 3 (consolidated)", () => {
    const got = pyZarr3(PY_READ, { path: sharded, names: writtenSharded.map((w) => w.name), consolidated: true });
    compare(writtenSharded, got);
  });
  it("zarr-python 3 sees the shards and consolidated metadata we meant", () => {
    const got = pyZarr3(
      `
import json, sys, zarr
inp = json.loads(sys.stdin.read())
g = zarr.open_consolidated(inp["path"], mode="r")
a = g["zstd/float32"]
print(json.dumps({"shards": list(a.shards), "chunks": list(a.chunks), "attrs": dict(g.attrs), "members": sorted(k for k, _ in g.members(max_depth=None))}))
`,
      { path: sharded },
    );
    expect(got.shards).toEqual([6, 4]);
    expect(got.chunks).toEqual([3, 2]);
    expect(got.attrs.title).toBe("round trip");
    expect(got.members).toContain("blosc-lz4-shuffle/float16");
  });
  it("both read equal here", async () => {
    for (const [target, written] of [
      [plain, writtenPlain],
      [sharded, writtenSharded],
    ] as const) {
      const r = await openZarr(target);
      expect(r.zarrFormat).toBe(3);
      for (const w of written) expect(toPlain(await r.readArray(w.name)), `${target} ${w.name}`).toEqual(w.values);
      const info = await r.get("gzip/int16");
      expect(info?.kind === "array" && info.shards).toEqual(target === sharded ? [6, 4] : null);
      await r.close();
    }
  });
});

describe.runIf(hasZarr3())("Zarr v3 written by zarr-python 3", () => {
  const target = path.join(dir, "zp3.zarr");
  const made = pyZarr3(
    `
import json, sys, zarr, numpy as np
inp = json.loads(sys.stdin.read())
g = zarr.open_group(inp["path"], mode="w", zarr_format=3)
rng = np.random.default_rng(0)
f16 = (rng.standard_normal((9, 3, 5)) * 100).astype("float16")
a = g.create_array("f16_sharded", shape=f16.shape, chunks=(2, 3, 2), shards=(4, 3, 4), dtype="float16")
a[...] = f16
i16 = np.arange(11 * 7, dtype="int16").reshape(11, 7) - 30
b = g.create_array("i16_sharded_gzip", shape=i16.shape, chunks=(3, 3), shards=(6, 6), dtype="int16", compressors=[zarr.codecs.GzipCodec(level=4)])
b[...] = i16
s = np.array(["", "ü", "日本語", "plain", "🧬", ""], dtype=object)
c = g.create_array("strings", shape=(6,), chunks=(4,), dtype=str)
c[...] = s
d = g.create_array("bools", shape=(5,), chunks=(2,), dtype=bool)
d[...] = np.array([True, False, True, True, False])
u = g.create_array("u64_blosc", shape=(10,), chunks=(4,), dtype="uint64", compressors=[zarr.codecs.BloscCodec(cname="lz4", shuffle="shuffle")])
u[...] = np.arange(10, dtype="uint64") * 1000000007
zarr.consolidate_metadata(inp["path"])
print(json.dumps({"f16_sharded": f16.astype(float).tolist(), "i16_sharded_gzip": i16.tolist(), "strings": s.tolist(), "bools": d[...].tolist(), "u64_blosc": u[...].tolist()}))
`,
    { path: target },
  );
  it("reads every array equal", async () => {
    const r = await openZarr(target);
    for (const [name, values] of Object.entries(made)) expect(toPlain(await r.readArray(name)), name).toEqual(values);
    expect(await r.list("")).toEqual(Object.keys(made).sort());
    await r.close();
  });
  it("reads blocks across partial shards", async () => {
    const r = await openZarr(target);
    const b = await r.readBlock("f16_sharded", [3, 1, 1], [6, 2, 4]);
    const want = (made.f16_sharded as number[][][]).slice(3, 9).map((p) => p.slice(1, 3).map((row) => row.slice(1, 5)));
    expect(toPlain(b)).toEqual(want);
    await r.close();
  });
});

describe("Zarr v2 written by zarr-python 2", () => {
  const target = path.join(dir, "zp2.zarr");
  const made = py(
    `
import json, sys, zarr, numpy as np, numcodecs
inp = json.loads(sys.stdin.read())
g = zarr.open_group(inp["path"], mode="w")
f16 = (np.linspace(-50, 50, 7 * 6).reshape(7, 6)).astype("float16")
g.create_dataset("f16", data=f16, chunks=(3, 4))
g.create_dataset("strings", data=np.array(["", "ü", "日本語", "x"], dtype=object), object_codec=numcodecs.VLenUTF8(), chunks=(3,))
g.create_dataset("bools", data=np.array([True, False, True]), chunks=(2,))
g.create_dataset("gz", data=np.arange(20, dtype=">i4"), chunks=(6,), compressor=numcodecs.GZip(5))
g.create_dataset("forder", data=np.arange(12, dtype="i2").reshape(3, 4), chunks=(2, 3), order="F")
zarr.consolidate_metadata(inp["path"])
print(json.dumps({"f16": f16.astype(float).tolist(), "strings": ["", "ü", "日本語", "x"], "bools": [True, False, True], "gz": list(range(20)), "forder": np.arange(12).reshape(3, 4).tolist()}))
`,
    { path: target },
  );
  it("reads every array equal", async () => {
    const r = await openZarr(target);
    for (const [name, values] of Object.entries(made)) expect(toPlain(await r.readArray(name)), name).toEqual(values);
    await r.close();
  });
});

describe("one whole chunk read alone (a cell)", () => {
  it("equals zarr-python 2: stored chunks, and a chunk never written (its fill value)", async () => {
    const target = path.join(dir, "cells-fill.zarr");
    py(
      `
import json, sys, zarr, numpy as np
p = json.loads(sys.stdin.read())
a = zarr.open_array(p, mode="w", shape=(4, 3, 8, 8), chunks=(1, 3, 8, 8), dtype="<f2", fill_value=0.5)
a[0] = np.arange(3 * 64, dtype="<f2").reshape(3, 8, 8) / 256
a[2] = 1.0
print(json.dumps({}))
`,
      target,
    );
    const theirs: { rows: number[][] } = py(
      `
import json, sys, zarr, numpy as np
a = zarr.open_array(json.loads(sys.stdin.read()), mode="r")
print(json.dumps({"rows": [a[i].view("<u2").ravel().tolist() for i in range(4)]}))
`,
      target,
    );
    const r = await openZarr(target);
    for (let i = 0; i < 4; i++) {
      const b = await r.readBlock("", [i, 0, 0, 0], [1, 3, 8, 8]);
      expect(b.shape).toEqual([1, 3, 8, 8]);
      expect(Array.from(b.data as Uint16Array), `row ${i}`).toEqual(theirs.rows[i]);
    }
    await r.close();
  });
});
