// Training batches and splits over a dataset zarr-python wrote; every batch's
// images and labels checked against what zarr-python reads for its rows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batches, type Dataset, openDataset, split } from "../src/index.js";
import { CHANNELS, type Fixtures, makeFixtures, N_CELLS, pythonRead, SIZE } from "./fixtures.js";

let fx: Fixtures;
let ds: Dataset;
let all: { ids: number[]; images: number[] };
const dir = mkdtempSync(path.join(tmpdir(), "lazy-batches-"));
const plane = SIZE * SIZE;
const C = CHANNELS.length;
beforeAll(async () => {
  fx = makeFixtures(dir);
  ds = await openDataset(fx.zarr2);
  all = pythonRead(fx.zarr2, Array.from({ length: N_CELLS }, (_, i) => i));
});
afterAll(async () => {
  await ds?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("batches", () => {
  it("visit every row once, shuffled by the seed, with images and labels of those rows", async () => {
    const seen: number[] = [];
    const codes = ds.obs.categorical.label.codes;
    let n = 0;
    for await (const b of batches(ds, { batchSize: 16, shuffle: true, seed: 3, channels: ["DNA", "PH3"], labelColumn: "label", prefetch: 2 })) {
      n++;
      expect(b.images).toBeInstanceOf(Float32Array);
      expect(b.shape).toEqual([b.rows.length, 2, SIZE, SIZE]);
      expect(b.labels).toBeInstanceOf(Int32Array);
      b.rows.forEach((r, i) => {
        expect(b.cellIds[i]).toBe(all.ids[r]);
        expect(b.labels![i]).toBe(codes[r]);
        for (const [j, ch] of [2, 3].entries()) {
          const want = all.images.slice((r * C + ch) * plane, (r * C + ch + 1) * plane);
          expect(Array.from(b.images.subarray((i * 2 + j) * plane, (i * 2 + j + 1) * plane))).toEqual(want);
        }
      });
      seen.push(...b.rows);
    }
    expect(n).toBe(Math.ceil(N_CELLS / 16));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: N_CELLS }, (_, i) => i));
    expect(seen).not.toEqual([...seen].sort((a, b) => a - b));
    // same seed, same order; another seed, another order
    const again: number[] = [];
    for await (const b of batches(ds, { batchSize: 16, seed: 3 })) again.push(...b.rows);
    expect(again).toEqual(seen);
    const other: number[] = [];
    for await (const b of batches(ds, { batchSize: 16, seed: 4 })) other.push(...b.rows);
    expect(other).not.toEqual(seen);
  });

  it("a dataset larger than the cache budget is read row by row, not through the cache, with the same values", async () => {
    const small = await openDataset(fx.h5lzf, { cacheBytes: 64 * 1024 }); // less than the images
    const want = pythonRead(fx.h5lzf, Array.from({ length: N_CELLS }, (_, i) => i));
    let n = 0;
    for await (const b of batches(small, { batchSize: 8, seed: 1, channels: [4, 1] })) {
      b.rows.forEach((r, i) => {
        for (const [j, ch] of [4, 1].entries()) {
          const w = want.images.slice((r * C + ch) * plane, (r * C + ch + 1) * plane);
          expect(Array.from(b.images.subarray((i * 2 + j) * plane, (i * 2 + j + 1) * plane))).toEqual(w);
        }
      });
      n += b.rows.length;
    }
    expect(n).toBe(N_CELLS);
    expect(small.cache.stats.misses).toBe(0);
    expect(small.cache.size).toBe(0);
    await small.close();
    // one that fits is kept for the next epoch
    for await (const _ of batches(ds, { batchSize: 32, seed: 1 })) void _;
    const misses = ds.cache.stats.misses;
    for await (const _ of batches(ds, { batchSize: 32, seed: 2 })) void _;
    expect(ds.cache.stats.misses).toBe(misses);
  });

  it("Zarr v2 and v3 sharded, larger than the cache: each channel run of a batch gathered in one read, into reused buffers, equal to zarr-python's", async () => {
    const CROP = 20;
    const y0 = (SIZE - CROP) / 2;
    for (const file of [fx.zarr2, fx.zarr3]) {
      if (!file) continue; // no zarr-python 3 peer: no v3 fixture
      const want = pythonRead(file, Array.from({ length: N_CELLS }, (_, i) => i));
      const z = await openDataset(file, { cacheBytes: 0 });
      const readRows = z.store.readRows!.bind(z.store);
      let gathers = 0;
      z.store.readRows = (...a) => {
        gathers++;
        return readRows(...a);
      };
      const buffers = new Set<ArrayBufferLike>();
      let n = 0;
      for await (const b of batches(z, { batchSize: 12, seed: 5, channels: [4, 1, 2], crop: CROP, reuseBuffers: true, prefetch: 1 })) {
        buffers.add(b.images.buffer);
        expect(b.images.length).toBe(b.rows.length * 3 * CROP * CROP);
        b.rows.forEach((r, i) => {
          for (const [j, ch] of [4, 1, 2].entries()) {
            const got = b.images.subarray((i * 3 + j) * CROP * CROP, (i * 3 + j + 1) * CROP * CROP);
            const w: number[] = [];
            for (let y = y0; y < y0 + CROP; y++) w.push(...want.images.slice((r * C + ch) * plane + y * SIZE + y0, (r * C + ch) * plane + y * SIZE + y0 + CROP));
            expect(Array.from(got), `${path.basename(file)} row ${r} channel ${ch}`).toEqual(w);
          }
        });
        n += b.rows.length;
      }
      expect(n).toBe(N_CELLS);
      // batches of 12, 12, 12, 4 rows (the last too few to gather): v2 (chunks of all
      // channels) one gather a batch; v3 (a chunk a channel) two, channels [1, 3) and [4, 5)
      expect(gathers).toBe(file === fx.zarr2 ? 3 : 6);
      expect(buffers.size).toBe(3); // prefetch + 2 buffers in turn
      await expect(z.getCells([0, 1], { into: new Float64Array(10) as never })).rejects.toThrow(/into: expected a Float32Array of at least/);
      // float16 bits into a caller's buffer, as without one
      const u = new Uint16Array(2 * C * plane + 3).fill(0xffff);
      const half = await z.getCells([3, 1], { dtype: "float16", into: u });
      expect(half.data.buffer).toBe(u.buffer);
      expect(Array.from(half.data)).toEqual(Array.from((await z.getCells([3, 1], { dtype: "float16" })).data));
      await z.close();
    }
  });

  it("dropLast, no shuffle, a subset of rows and float labels", async () => {
    const sizes: number[] = [];
    const rows: number[] = [];
    for await (const b of batches(ds, { batchSize: 16, shuffle: false, dropLast: true, labelColumn: "score", prefetch: 0 })) {
      sizes.push(b.rows.length);
      rows.push(...b.rows);
      expect(b.labels).toBeInstanceOf(Float32Array);
      b.rows.forEach((r, i) => {
        expect(b.labels![i]).toBeCloseTo(Number(ds.obs.columns.score[r]), 5);
      });
    }
    expect(sizes).toEqual([16, 16]);
    expect(rows).toEqual(Array.from({ length: 32 }, (_, i) => i));
    const sub: number[] = [];
    for await (const b of batches(ds, { batchSize: 4, rows: [5, 6, 7], shuffle: false })) sub.push(...b.rows);
    expect(sub).toEqual([5, 6, 7]);
  });

  it("stopping early waits for the reads ahead: none is still running when the loop has left", async () => {
    const d = await openDataset(fx.zarr2);
    let running = 0;
    let started = 0;
    const getCells = d.getCells.bind(d);
    d.getCells = async (...args: Parameters<Dataset["getCells"]>) => {
      running++;
      started++;
      try {
        await new Promise((r) => setTimeout(r, 20)); // reads ahead still under way at the break
        return await getCells(...args);
      } finally {
        running--;
      }
    };
    for await (const b of batches(d, { batchSize: 4, prefetch: 3, seed: 1 })) {
      expect(b.rows).toHaveLength(4);
      break;
    }
    expect(started).toBe(5); // the batch consumed, and prefetch + 1 put under way when it was
    expect(running).toBe(0);
    await d.close();
  });

  it("bad options fail before any read", async () => {
    const it1 = batches(ds, { channels: ["nope"] });
    await expect(it1.next()).rejects.toThrow(/no such channel/);
    const it2 = batches(ds, { labelColumn: "nope" });
    await expect(it2.next()).rejects.toThrow(/obs\/nope.*no such obs column/);
  });
});

describe("split", () => {
  it("by fractions: disjoint, complete, seeded", () => {
    const s = split(ds, { fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 1 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([20, 10, 10]);
    const union = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    expect(union).toEqual(Array.from({ length: N_CELLS }, (_, i) => i));
    expect(split(ds, { fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 1 })).toEqual(s);
    expect(split(ds, { fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 2 }).train).not.toEqual(s.train);
  });
  it("by an obs column", () => {
    const s = split(ds, { column: "label" });
    const labels = ds.obs.columns.label as string[];
    expect(Object.keys(s).sort()).toEqual([...new Set(labels)].sort());
    for (const [k, rows] of Object.entries(s)) for (const r of rows) expect(labels[r]).toBe(k);
  });
});
