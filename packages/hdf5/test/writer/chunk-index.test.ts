// The chunk index of a large dataset: its records kept in pages (more than
// one page of 65,536 chunks here), written in any order and rewritten, and
// its B-tree streamed to the file at close. h5py is the judge.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { Hdf5Writer } from "../../src/index.js";
import { ChunkRecords } from "../../src/writer/chunk-records.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "h5index-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("chunk records", () => {
  it("keep every record across pages, masks above a byte, and the last write of a chunk in chunk order", () => {
    const r = new ChunkRecords();
    const n = 150_000; // three pages
    for (let k = 0; k < n; k++) r.add(n - 1 - k, 1000 + 3 * k, k + 1, k === 77_777 ? 0x1_0002 : k % 3);
    r.add(5, 42, 7, 1); // chunk 5 again: this record replaces the first
    expect(r.count).toBe(n + 1);
    const order = r.order();
    expect(order.length).toBe(n);
    for (let i = 0; i < n; i += 997) expect(r.linearOf(order[i])).toBe(i);
    expect(r.addressOf(order[5])).toBe(42);
    expect(r.sizeOf(order[5])).toBe(7);
    const k = 77_777; // chunk n - 1 - k
    expect(r.maskOf(order[n - 1 - k])).toBe(0x1_0002);
    expect(r.maskOf(order[n - 1 - (k + 1)])).toBe((k + 1) % 3);
    expect(r.addressOf(order[0])).toBe(1000 + 3 * (n - 1));
  });

  it("out of order in runs (no chunk twice): runs sorted where they start, each run's chunks in its order", () => {
    const r = new ChunkRecords();
    // cells of 5 chunks, back to back in the file, cells in a scrambled order
    let at = 0;
    const where = new Map<number, number>();
    for (let j = 0; j < 1000; j++) {
      const cell = (j * 7919) % 1000;
      for (let c = 0; c < 5; c++) {
        where.set(cell * 5 + c, at);
        r.add(cell * 5 + c, at, 100 + c, 0);
        at += 100 + c;
      }
    }
    const order = r.order();
    expect(order.length).toBe(5000);
    for (let i = 0; i < 5000; i++) {
      expect(r.linearOf(order[i])).toBe(i);
      expect(r.addressOf(order[i])).toBe(where.get(i));
    }
  });

  it("in order and back to back in the file (runs of chunks), every chunk keeps its own address and size", () => {
    const r = new ChunkRecords();
    let at = 512;
    const addresses: number[] = [];
    for (let k = 0; k < 70_000; k++) {
      addresses.push(at);
      r.add(k, at, 10 + (k % 7), 0);
      at += 10 + (k % 7);
    }
    r.add(70_000, at + 100, 3, 0); // a gap in the file: a new run
    const order = r.order();
    expect(order.length).toBe(70_001);
    expect(order[69_999]).toBe(69_999);
    for (let k = 0; k < 70_000; k += 13) {
      expect(r.addressOf(k)).toBe(addresses[k]);
      expect(r.sizeOf(k)).toBe(10 + (k % 7));
      expect(r.linearOf(k)).toBe(k);
    }
    expect(r.addressOf(70_000)).toBe(at + 100);
    expect(r.linearOf(70_000)).toBe(70_000);
  });
});

describe("a dataset of 70,000 chunks", () => {
  it("written in shuffled blocks (a chunk twice) is read back by h5py with every value", async () => {
    const file = path.join(dir, "many.h5");
    const chunks = 70_000;
    const w = await Hdf5Writer.create(file);
    const d = w.createDataset("x", { shape: [chunks * 2], type: { class: "int", size: 4, signed: true }, chunks: [2], filters: [{ id: "deflate", level: 1 }] });
    // blocks of 100 chunks in a scrambled order (7,919 is prime to 700)
    for (let j = 0; j < 700; j++) {
      const b = (j * 7919) % 700;
      await d.write([b * 200], [200], Int32Array.from({ length: 200 }, (_, i) => 3 * (b * 200 + i)));
    }
    await d.write([10], [2], Int32Array.of(-1, -2)); // chunk 5 rewritten
    // the same blocks once each: the index sorted run by run
    const y = w.createDataset("y", { shape: [chunks * 2], type: { class: "int", size: 4, signed: true }, chunks: [2] });
    for (let j = 0; j < 700; j++) {
      const b = (j * 7919) % 700;
      await y.write([b * 200], [200], Int32Array.from({ length: 200 }, (_, i) => 3 * (b * 200 + i)));
    }
    await w.close();
    const got = py(
      `
import h5py, json, sys, numpy as np
f = h5py.File(json.loads(sys.stdin.read())["p"], "r")
x, y = f["x"][()], f["y"][()]
want = np.arange(len(x), dtype=np.int64) * 3
want[10:12] = [-1, -2]
print(json.dumps({"n": len(x), "equal": bool((x == want).all()), "chunk5": x[10:12].tolist(), "y": bool((y == np.arange(len(y)) * 3).all())}))
`,
      { p: file },
    );
    expect(got).toEqual({ n: chunks * 2, equal: true, chunk5: [-1, -2], y: true });
  });
});
