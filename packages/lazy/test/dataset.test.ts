// Local reads of datasets written by h5py / anndata / zarr-python, judged
// against what h5py and zarr-python read from the same files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { float32ToFloat16 } from "@cellfolio/format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_DATA } from "../../../test-utils/oracle.js";
import { DatasetError, decodeWorkerStats, openDataset } from "../src/index.js";
import { CHANNELS, type Fixtures, makeFixtures, N_CELLS, pythonRead, SIZE } from "./fixtures.js";

let fx: Fixtures;
const dir = mkdtempSync(path.join(tmpdir(), "lazy-local-"));
beforeAll(() => {
  fx = makeFixtures(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kinds = ["h5lzf", "h5gzip", "zarr2", "zarr3"] as const;

/** Plane (cell i, channel c) of a flat (n, C, S, S) list, cropped. */
function plane(values: ArrayLike<number>, i: number, c: number, nc: number, S: number, y0 = 0, x0 = 0, s = S): number[] {
  const out: number[] = [];
  const base = (i * nc + c) * S * S;
  for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) out.push(values[base + y * S + x]);
  return out;
}

describe.each(kinds)("%s", (kind) => {
  const file = () => fx[kind];
  it("opens with obs, var, uns and the array's metadata", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!);
    const py = pythonRead(file()!, []);
    expect(ds.nCells).toBe(N_CELLS);
    expect(ds.shape).toEqual([N_CELLS, CHANNELS.length, SIZE, SIZE]);
    expect(ds.cellIds).toEqual(py.ids);
    expect(ds.channelNames).toEqual(CHANNELS);
    expect(ds.info.nMasks).toBe(2);
    expect(ds.info.imageSize).toBe(SIZE);
    expect(ds.obs.categorical.label.categories).toEqual(["interphase", "mitotic", "unknown"]);
    if (kind.startsWith("h5")) {
      // scPortrait's untagged uns group and the image array's attributes (byte strings)
      expect(ds.info.compression).toBe(kind === "h5lzf" ? "lzf" : "gzip");
      expect(ds.info.normalization).toBe(true);
      expect(ds.info.normalizationRange).toEqual([0.001, 0.999]);
      expect(ds.info.channelNames).toEqual(CHANNELS);
      expect(ds.info.channelMapping).toEqual(["mask", "mask", "image_channel", "image_channel", "image_channel"]);
      expect(ds.info.nCells).toBe(N_CELLS);
    }
    expect(ds.obs.columns.score).toHaveLength(N_CELLS);
    // Opening read nothing of the images.
    expect(ds.cache.stats.misses).toBe(0);
    await ds.close();
  });

  it("reads cells by cellID equal to h5py / zarr-python", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!);
    const rows = [17, 0, N_CELLS - 1, 17];
    const ids = rows.map((r) => ds.cellIds[r]);
    const got = await ds.getByCellId(ids);
    const want = pythonRead(file()!, rows);
    expect(got.shape).toEqual(want.shape);
    expect(got.cellIds).toEqual(ids);
    expect(Array.from(got.data)).toEqual(want.images);
    // The repeated cell's chunks were read once.
    expect(ds.chunks[0]).toBe(1);
    expect(ds.cache.stats.misses).toBe(3 * Math.ceil(CHANNELS.length / ds.chunks[1]));
    // by row gives the same
    const one = await ds.getCell(17);
    expect(Array.from(one.data)).toEqual(want.images.slice(0, CHANNELS.length * SIZE * SIZE));
    expect(ds.cache.stats.misses).toBe(3 * Math.ceil(CHANNELS.length / ds.chunks[1]));
    await ds.close();
  });

  it("coalesces concurrent requests for the same cells into one read per chunk", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!);
    const [a, b, c] = await Promise.all([ds.getCell(9), ds.getCell(9, { channels: ["DNA"] }), ds.getCells([9, 9])]);
    expect(ds.cache.stats.misses).toBe(Math.ceil(CHANNELS.length / ds.chunks[1]));
    expect(Array.from(c.data.subarray(0, a.data.length))).toEqual(Array.from(a.data));
    expect(Array.from(b.data)).toEqual(Array.from(a.data.subarray(2 * SIZE * SIZE, 3 * SIZE * SIZE)));
    await ds.close();
  });

  it("subsets channels by name and index, crops, and returns float16 on request", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!);
    const want = pythonRead(file()!, [5]);
    const got = await ds.getCell(5, { channels: ["PH3", 0], crop: 16 });
    expect(got.shape).toEqual([1, 2, 16, 16]);
    expect(Array.from(got.data.subarray(0, 256))).toEqual(plane(want.images, 0, 3, CHANNELS.length, SIZE, 8, 8, 16));
    expect(Array.from(got.data.subarray(256))).toEqual(plane(want.images, 0, 0, CHANNELS.length, SIZE, 8, 8, 16));
    const corner = await ds.getCell(5, { channels: ["CellBody"], crop: { y: 3, x: 11, size: 10 } });
    expect(Array.from(corner.data)).toEqual(plane(want.images, 0, 4, CHANNELS.length, SIZE, 3, 11, 10));
    const half = await ds.getCell(5, { dtype: "float16" });
    expect(half.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(half.data)).toEqual(Array.from(float32ToFloat16(want.images)));
    await ds.close();
  });

  it("without a cache (one-pass reads, batches of big datasets): cells row by row, equal to h5py / zarr-python", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!, { cacheBytes: 0 });
    const rows = [17, 0, N_CELLS - 1, 17, 5];
    const want = pythonRead(file()!, rows);
    const got = await ds.getCells(rows);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(want.images);
    // channels out of order and apart (runs of channel chunks), a crop, float16
    const sub = await ds.getCell(5, { channels: ["CellBody", 0, "PH3"], crop: { y: 3, x: 11, size: 10 } });
    expect(sub.shape).toEqual([1, 3, 10, 10]);
    const five = 4 * CHANNELS.length * SIZE * SIZE; // row 5 is the fifth cell of `want`
    const w5 = want.images.slice(five, five + CHANNELS.length * SIZE * SIZE);
    expect(Array.from(sub.data.subarray(0, 100))).toEqual(plane(w5, 0, 4, CHANNELS.length, SIZE, 3, 11, 10));
    expect(Array.from(sub.data.subarray(100, 200))).toEqual(plane(w5, 0, 0, CHANNELS.length, SIZE, 3, 11, 10));
    expect(Array.from(sub.data.subarray(200))).toEqual(plane(w5, 0, 3, CHANNELS.length, SIZE, 3, 11, 10));
    const half = await ds.getCell(5, { dtype: "float16" });
    expect(Array.from(half.data)).toEqual(Array.from(float32ToFloat16(w5)));
    // nothing kept, and concurrent reads of one cell shared one read
    expect(ds.cache.size).toBe(0);
    let reads = 0;
    const readBlock = ds.store.readBlock.bind(ds.store);
    ds.store.readBlock = (...a) => {
      reads++;
      return readBlock(...a);
    };
    const [a, b] = await Promise.all([ds.getCell(9), ds.getCell(9)]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(reads).toBe(1); // all channels are one run of chunks: one block read
    expect(ds.cache.stats.misses).toBe(0); // the chunk path was never taken
    await ds.close();
  });

  it("decodeWorkers (Web Workers, for browsers) changes nothing under Node: same values, no worker pool", async (ctx) => {
    if (!file()) return ctx.skip();
    const plain = await openDataset(file()!);
    const ds = await openDataset(file()!, { decodeWorkers: 2 });
    const rows = [0, 7, 39, 12];
    expect((await ds.getCells(rows, { cache: false })).data).toEqual((await plain.getCells(rows, { cache: false })).data);
    expect(decodeWorkerStats()).toBeNull();
    await ds.close();
    await plain.close();
  });

  it("names the dataset, element and id in errors", async (ctx) => {
    if (!file()) return ctx.skip();
    const ds = await openDataset(file()!);
    await expect(ds.getByCellId(999_999)).rejects.toThrow(DatasetError);
    await expect(ds.getByCellId(999_999)).rejects.toThrow(/obs.*999999.*no cell with this cellID/);
    await expect(ds.getCell(0, { channels: ["GFP"] })).rejects.toThrow(/var\/channels.*GFP.*no such channel/);
    await expect(ds.getCell(0, { channels: [9] })).rejects.toThrow(/channel index out of range/);
    await expect(ds.getCell(N_CELLS)).rejects.toThrow(/row out of range/);
    await expect(ds.getCell(0, { crop: 40 })).rejects.toThrow(/crop 40 does not fit/);
    expect(() => ds.rowOfCellId(-1)).toThrow(file()!);
    await ds.close();
  });
});

describe("bad input", () => {
  it("a dataset without obsm/single_cell_images", async () => {
    const zarr = path.join(TEST_DATA, "anndata-js/0.10/anndata-no-X.zarr");
    await expect(openDataset(zarr)).rejects.toThrow(/anndata-no-X\.zarr: \/obsm\/single_cell_images: missing/);
    const h5ad = path.join(TEST_DATA, "anndata-archives/v0.7.8/adata.h5ad");
    await expect(openDataset(h5ad)).rejects.toThrow(/adata\.h5ad: \/obsm\/single_cell_images: missing/);
  });
  it("a path that does not exist", async () => {
    await expect(openDataset(path.join(dir, "nope.h5sc"))).rejects.toThrow(/nope\.h5sc.*no such file/);
  });
});
