// The writer's API contract: default chunk shapes as h5py guesses them (h5py
// is the judge), and clear errors for bad use, with no output left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { guessChunks, Hdf5Writer } from "../../src/index.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "h5api-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("guessChunks", () => {
  it("matches h5py's guess for assorted shapes and item sizes", () => {
    const cases: [number[], number][] = [
      [[100], 8],
      [[1000000], 4],
      [[13107, 5, 128, 128], 2],
      [[5000, 2000], 4],
      [[3, 7], 1],
      [[0, 10], 8],
      [[50000, 30], 16],
      [[1], 2],
      [[100000000], 1],
    ];
    const want = py(
      `
import json, sys
from h5py._hl.filters import guess_chunk
print(json.dumps([list(guess_chunk(tuple(s), None, t)) for s, t in json.loads(sys.stdin.read())]))
`,
      cases,
    );
    // h5py keeps a dim of 0 as its 1024 stand-in; ours does too
    expect(cases.map(([s, t]) => guessChunks(s, t))).toEqual(want);
  });
});

describe("Hdf5Writer errors", () => {
  it("refuses an existing file unless overwrite, and leaves no temporary file on abort", async () => {
    const file = path.join(dir, "exists.h5");
    writeFileSync(file, "");
    await expect(Hdf5Writer.create(file)).rejects.toThrow(/already exists/);
    const w = await Hdf5Writer.create(file, { overwrite: true });
    expect(existsSync(w.tmpPath)).toBe(true);
    await w.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith("exists.h5"))).toEqual(["exists.h5"]);
  });

  it("overwrite replaces an HDF5 file or an empty one, never a folder or other bytes under the name", async () => {
    const { writer, sink } = await Hdf5Writer.createInMemory();
    await writer.close();
    const h5 = sink.bytes();
    const cases: [string, (p: string) => void, boolean][] = [
      ["empty.h5", (p) => writeFileSync(p, ""), true],
      ["plain.h5", (p) => writeFileSync(p, h5), true],
      // a user block of 512 bytes before the superblock, as h5py's userblock_size writes
      ["userblock.h5", (p) => writeFileSync(p, Buffer.concat([Buffer.alloc(512, 7), h5])), true],
      ["text.h5", (p) => writeFileSync(p, "my notes\n"), false],
      ["folder.h5", (p) => mkdirSync(path.join(p, "inside"), { recursive: true }), false],
    ];
    for (const [name, make, replaced] of cases) {
      const file = path.join(dir, name);
      make(file);
      const w = Hdf5Writer.create(file, { overwrite: true });
      if (replaced) {
        await (await w).close();
        expect(statSync(file).isFile() && readFileSync(file).subarray(0, 4).toString("latin1"), name).toBe("\x89HDF");
      } else {
        await expect(w, name).rejects.toThrow(name.startsWith("folder") ? /folder\.h5: is a folder, not an HDF5 file; overwrite replaces only an HDF5 file/ : /text\.h5: is not an HDF5 file \(no HDF5 signature/);
        // left as it was, with no temporary beside it
        expect(name.startsWith("folder") ? existsSync(path.join(file, "inside")) : readFileSync(file, "utf8") === "my notes\n", name).toBe(true);
      }
      expect(readdirSync(dir).filter((f) => f.startsWith(`${name}.`))).toEqual([]);
    }
  });

  it("a folder made at the target while writing is not replaced at close, and the temporary file goes", async () => {
    const file = path.join(dir, "late.h5");
    const w = await Hdf5Writer.create(file, { overwrite: true });
    mkdirSync(file);
    await expect(w.close()).rejects.toThrow(/late\.h5: is a folder, not an HDF5 file/);
    expect(statSync(file).isDirectory()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith("late.h5."))).toEqual([]);
  });

  it("names the dataset and the problem for bad blocks, shapes and paths", async () => {
    const w = await Hdf5Writer.create(path.join(dir, "bad.h5"));
    const d = w.createDataset("g/d", { shape: [10, 4], type: { class: "int", size: 4, signed: true }, chunks: [4, 4] });
    await expect(d.write([1, 0], [4, 4], new Int32Array(16))).rejects.toThrow(/dataset \/g\/d: .*not aligned to chunks/);
    await expect(d.write([0, 0], [4, 4], new Int32Array(15))).rejects.toThrow(/dataset \/g\/d: 15 elements given for a block of 16/);
    await expect(d.write([8, 0], [4, 4], new Int32Array(16))).rejects.toThrow(/outside \[10,4\]/);
    await expect(d.write([0, 0], [4, 4], ["a"])).rejects.toThrow(/strings given for int/);
    expect(() => w.createDataset("g/d/x", { shape: [1], type: { class: "bool" } })).toThrow(/\/g\/d is a dataset/);
    expect(() => w.createDataset("g/d", { shape: [1], type: { class: "bool" } })).toThrow(/already exists/);
    expect(() => w.createDataset("c", { shape: [4], type: { class: "bool" }, chunks: [8] })).toThrow(/chunk dims/);
    expect(() => w.createDataset("f", { shape: [4], type: { class: "bool" }, filters: [{ id: "lzf" }] })).toThrow(/filters need a chunked layout/);
    expect(() => w.setAttribute("nope", "a", { type: { class: "bool" }, shape: [], data: new Uint8Array(1) })).toThrow(/\/nope: no such group or dataset/);
    expect(() => w.setAttribute("g", "a", { type: { class: "int", size: 2, signed: true }, shape: [3], data: new Int16Array(2) })).toThrow(/2 values for shape \[3\]/);
    await w.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith("bad.h5"))).toEqual([]);
  });

  it("names the dataset or attribute whose string is longer than its fixed-length type", async () => {
    const w = await Hdf5Writer.create(path.join(dir, "long-strings.h5"));
    const d = w.createDataset("s", { shape: [2], type: { class: "fixed-string", size: 4 } });
    await expect(d.write([0], [2], ["abcd", "abcdé"])).rejects.toThrow(/dataset \/s: string of 6 bytes in a 4-byte string type/);
    w.setAttribute("", "label", { type: { class: "fixed-string", size: 4 }, shape: [], data: ["abcdef"] });
    await expect(w.close()).rejects.toThrow(/attribute label: string of 6 bytes in a 4-byte string type/);
    await w.abort().catch(() => {});
  });

  it("a chunked dataset with an unlimited axis can be written and read back by h5py", async () => {
    const file = path.join(dir, "unlimited.h5");
    const w = await Hdf5Writer.create(file);
    const d = w.createDataset("x", { shape: [5, 3], maxshape: [null, 3], type: { class: "float", size: 4 }, chunks: [8, 3], filters: [{ id: "deflate", level: 1 }] });
    await d.write([0, 0], [5, 3], Float32Array.from({ length: 15 }, (_, i) => i / 2));
    await w.close();
    const got = py(
      `
import h5py, json, sys
d = h5py.File(json.loads(sys.stdin.read())["p"], "r")["x"]
print(json.dumps({"maxshape": [m if m is not None else -1 for m in d.maxshape], "v": d[()].ravel().tolist()}))
`,
      { p: file },
    );
    expect(got).toEqual({ maxshape: [-1, 3], v: Array.from({ length: 15 }, (_, i) => i / 2) });
  });

  it("with workers: 0 the filters run on the main thread (deflate on zlib's threadpool) and h5py reads the same values", async () => {
    const file = path.join(dir, "noworkers.h5");
    const w = await Hdf5Writer.create(file, { workers: 0 });
    const data = Uint16Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? 0 : 0x3c00 + (i % 50)));
    const sets = { sg: [{ id: "shuffle" }, { id: "deflate", level: 1 }], lzf: [{ id: "lzf" }], sl: [{ id: "shuffle" }, { id: "lzf" }] } as const;
    for (const [name, filters] of Object.entries(sets)) {
      await w.createDataset(name, { shape: [6, 100], type: { class: "int", size: 2, signed: false }, chunks: [4, 30], filters: [...filters] }).write([0, 0], [6, 100], data);
    }
    await w.close();
    const got = py(
      `
import h5py, json, sys
f = h5py.File(json.loads(sys.stdin.read())["p"], "r")
print(json.dumps({k: f[k][()].ravel().tolist() for k in f}))
`,
      { p: file },
    );
    for (const name of Object.keys(sets)) expect(got[name], name).toEqual(Array.from(data));
  });

  it("unfiltered chunks that tile a block in order go out as one write, indexed chunk by chunk", async () => {
    const file = path.join(dir, "runs.h5");
    const w = await Hdf5Writer.create(file);
    const shape = [5, 3, 2, 4];
    const data = Uint16Array.from({ length: 120 }, (_, i) => i * 3 + 1);
    // chunks (1, 1, 2, 4): one write per block of rows; (2, 3, 2, 4): rows in twos, edge row padded
    const a = w.createDataset("a", { shape, type: { class: "int", size: 2, signed: false }, chunks: [1, 1, 2, 4] });
    await a.write([0, 0, 0, 0], [2, 3, 2, 4], data.subarray(0, 48));
    await a.write([2, 0, 0, 0], [3, 3, 2, 4], data.subarray(48));
    const b = w.createDataset("b", { shape, type: { class: "int", size: 2, signed: false }, chunks: [2, 3, 2, 4] });
    await b.write([0, 0, 0, 0], shape, data);
    // a strided layout (chunks split the last axis) takes the gather path
    const c = w.createDataset("c", { shape, type: { class: "int", size: 2, signed: false }, chunks: [1, 3, 2, 2] });
    await c.write([0, 0, 0, 0], shape, data);
    await w.close();
    const got = py(
      `
import h5py, json, sys
f = h5py.File(json.loads(sys.stdin.read())["p"], "r")
print(json.dumps({k: {"v": f[k][()].ravel().tolist(), "n": f[k].id.get_num_chunks()} for k in f}))
`,
      { p: file },
    );
    expect(got.a).toEqual({ v: Array.from(data), n: 15 });
    expect(got.b).toEqual({ v: Array.from(data), n: 3 });
    expect(got.c).toEqual({ v: Array.from(data), n: 10 });
  });
});
