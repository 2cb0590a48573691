// Chunks encoded by the caller (encodeChunkSync, as the extraction workers do)
// and handed to DatasetWriter.writeEncoded: h5py must read the values written,
// for every filter pipeline, mixed with chunks the writer encodes itself.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { encodeChunkSync, type H5Filter } from "../filters/registry.js";
import { Hdf5Writer } from "./writer.js";

const dir = mkdtempSync(path.join(tmpdir(), "h5enc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 6;
const PLANES = 3;
const S = 24;

/** Rows of (PLANES, S, S) uint16 planes: zeros around a block of noise (what a cell crop looks like). */
function rows(): Uint16Array {
  const data = new Uint16Array(ROWS * PLANES * S * S);
  let seed = 12345;
  for (let r = 0; r < ROWS; r++)
    for (let p = 0; p < PLANES; p++)
      for (let y = 4 + r; y < 18; y++)
        for (let x = 3; x < 20 - p; x++) {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          data[((r * PLANES + p) * S + y) * S + x] = p === 0 ? 0x3c00 : seed >>> 20;
        }
  return data;
}

/** Rows 0, 2, 4 encoded by the caller, rows 1, 3, 5 through the writer's own filters. */
async function writeMixed(file: string, filters: H5Filter[]): Promise<Uint16Array> {
  const data = rows();
  const w = await Hdf5Writer.create(file, { workers: 0 });
  const ds = w.createDataset("x", { shape: [ROWS, PLANES, S, S], type: { class: "int", size: 2, signed: false }, chunks: [1, 1, S, S], filters });
  const rowElems = PLANES * S * S;
  for (let r = 0; r < ROWS; r++) {
    const row = data.subarray(r * rowElems, (r + 1) * rowElems);
    if (r % 2 === 1) {
      await ds.write([r, 0, 0, 0], [1, PLANES, S, S], row);
      continue;
    }
    const parts: Uint8Array[] = [];
    const sizes: number[] = [];
    const masks: number[] = [];
    for (let p = 0; p < PLANES; p++) {
      const raw = new Uint8Array(row.buffer, row.byteOffset + p * S * S * 2, S * S * 2);
      const e = encodeChunkSync(raw, filters, 2);
      parts.push(e.bytes.slice()); // the result may be scratch memory
      sizes.push(e.bytes.length);
      masks.push(e.mask);
    }
    const bytes = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    await ds.writeEncoded([r, 0, 0, 0], [1, PLANES, S, S], bytes, sizes, masks);
  }
  await w.close();
  return data;
}

const READ = `
import json, sys, h5py, numpy as np
a = json.load(sys.stdin)
with h5py.File(a["path"], "r") as f:
    d = f["x"]
    print(json.dumps({"values": d[()].ravel().tolist(), "compression": d.compression, "opts": d.compression_opts, "shuffle": d.shuffle}))
`;

describe("chunks encoded by the caller (writeEncoded)", () => {
  const cases: [string, H5Filter[], string | null][] = [
    ["deflate 1, RLE strategy", [{ id: "deflate", level: 1, strategy: "rle" }], "gzip"],
    ["shuffle + deflate 4", [{ id: "shuffle" }, { id: "deflate", level: 4 }], "gzip"],
    ["lzf", [{ id: "lzf" }], "lzf"],
    ["no filters", [], null],
  ];
  for (const [name, filters, compression] of cases) {
    it(`h5py reads the values written: ${name}`, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, "_")}.h5`);
      const data = await writeMixed(file, filters);
      const got = py(READ, { path: file });
      expect(got.compression).toBe(compression);
      expect(got.shuffle).toBe(filters.some((f) => f.id === "shuffle"));
      expect(got.values).toEqual(Array.from(data));
    });
  }

  it("the RLE strategy gives other bytes than level 1's default, the same values", async () => {
    const a = path.join(dir, "rle.h5");
    const b = path.join(dir, "default.h5");
    await writeMixed(a, [{ id: "deflate", level: 1, strategy: "rle" }]);
    await writeMixed(b, [{ id: "deflate", level: 1 }]);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(false);
    expect(py(READ, { path: a }).values).toEqual(py(READ, { path: b }).values);
  });

  it("chunks written out of order and written twice: the index (a B-tree of several levels) points at the last write of each", async () => {
    const file = path.join(dir, "order.h5");
    const n = 300; // 300 chunks: more than one B-tree node holds (64)
    const w = await Hdf5Writer.create(file, { workers: 0 });
    const ds = w.createDataset("x", { shape: [n, 4], type: { class: "int", size: 4, signed: true }, chunks: [1, 4], filters: [{ id: "deflate", level: 1, strategy: "rle" }] });
    const want = new Int32Array(n * 4);
    const put = async (r: number, base: number) => {
      const row = Int32Array.from({ length: 4 }, (_, j) => base + r * 10 + j);
      want.set(row, r * 4);
      const e = encodeChunkSync(new Uint8Array(row.buffer), ds.filters, 4);
      await ds.writeEncoded([r, 0], [1, 4], e.bytes.slice(), [e.bytes.length], [e.mask]);
    };
    for (let r = n - 1; r >= 0; r -= 2) await put(r, 0); // odd rows, last to first
    for (let r = 0; r < n; r += 2) await put(r, 0); // even rows
    for (const r of [7, 150, 0, 299]) await put(r, 100_000); // again, other values
    await w.close();
    const got = py(READ, { path: file });
    expect(got.values).toEqual(Array.from(want));
  });

  it("refuses sizes that do not add up, a wrong chunk count and unaligned blocks", async () => {
    const w = await Hdf5Writer.create(path.join(dir, "bad.h5"));
    const ds = w.createDataset("x", { shape: [2, 2, 4, 4], type: { class: "int", size: 2, signed: false }, chunks: [1, 1, 4, 4], filters: [{ id: "lzf" }] });
    await expect(ds.writeEncoded([0, 0, 0, 0], [1, 2, 4, 4], new Uint8Array(10), [4, 5], [0, 0])).rejects.toThrow(/add up to 9 bytes, but 10 were given/);
    await expect(ds.writeEncoded([0, 0, 0, 0], [1, 2, 4, 4], new Uint8Array(4), [4], [0])).rejects.toThrow(/1 chunk sizes for a block of 2 chunks/);
    await expect(ds.writeEncoded([0, 1, 1, 0], [1, 1, 3, 4], new Uint8Array(4), [4], [0])).rejects.toThrow(/not aligned to chunks/);
    await w.abort();
  });
});
