// The read datasets both browser test files serve (packages/lazy's fixtures:
// 40 cells of 5 x 32 x 32 float16, written by h5py / anndata / zarr-python),
// what Node and Python read of them, and the comparison of a page's read.
import path from "node:path";
import { expect } from "vitest";
import { pythonRead } from "../../packages/lazy/test/fixtures.js";
import { fromBase64 } from "./harness.js";
import { type ReadArgs, type ReadResult, readDataset } from "./scripts.js";

/** The datasets served, by name: file or directory under the data folder. */
export const DATASETS: Record<string, string> = {
  "h5sc lzf": "cells-lzf.h5sc",
  "h5sc gzip": "cells-gzip.h5sc",
  "zarr v2": "cells-v2.zarr",
  "zarr v3 sharded": "cells-v3.zarr",
};

/** Five cells by cellID (out of order, one twice) and the first batch of 8 with seed 42. */
export function readArgs(ids: number[], source: string): ReadArgs {
  return { source, cellIds: [ids[5], ids[0], ids[33], ids[17], ids[5]], seed: 42, batchSize: 8 };
}

export interface Truth {
  /** Node's read of the local file through the installed packages. */
  node: ReadResult;
  /** h5py's / zarr-python's: all cellIDs, the images of the by-cellID rows and of the batch's rows (float32). */
  py: { ids: number[]; byId: number[]; batch: number[] };
}

const cache = new Map<string, Truth>();

/** Node's and Python's reads of a dataset (once per dataset and test file). */
export async function truth(lazy: any, dataDir: string, name: string): Promise<Truth> {
  const file = path.join(dataDir, DATASETS[name]);
  if (!cache.has(name)) {
    const ds = await lazy.openDataset(file);
    const ids = Array.from(ds.cellIds as number[]);
    await ds.close();
    const node = await readDataset(lazy, readArgs(ids, file));
    const a = pythonRead(file, node.byId.rows);
    const b = pythonRead(file, node.batch.rows);
    cache.set(name, { node, py: { ids: a.ids, byId: a.images, batch: b.images } });
  }
  return cache.get(name)!;
}

const f16 = (b64: string) => new Uint16Array(fromBase64(b64).slice().buffer);
const f32 = (b64: string) => new Float32Array(fromBase64(b64).slice().buffer);

/** A page's read equals Node's (bit for bit) and Python's (values). */
export function expectSameRead(got: ReadResult, t: Truth, float16ToFloat32: (b: Uint16Array) => Float32Array): void {
  const { node: want, py: oracle } = t;
  expect(got.shape).toEqual([40, 5, 32, 32]);
  expect(got.cellIds).toEqual(oracle.ids);
  expect(got.channelNames).toEqual(["nucleus_mask", "cytosol_mask", "DNA", "PH3", "CellBody"]);
  // by cellID: the same cells, rows and float16 bits as Node
  expect(got.byId.cellIds).toEqual(want.byId.cellIds);
  expect(got.byId.rows).toEqual(want.byId.rows);
  expect(got.byId.shape).toEqual([5, 5, 32, 32]);
  const bits = f16(got.byId.data);
  expect(bits).toEqual(f16(want.byId.data));
  // ... and the values h5py / zarr-python read for those rows
  expect(Array.from(float16ToFloat32(bits))).toEqual(oracle.byId);
  // the batch: same seed, same shuffled rows, same values
  expect(got.batch.rows).toEqual(want.batch.rows);
  expect(got.batch.cellIds).toEqual(got.batch.rows.map((r) => oracle.ids[r]));
  expect(new Set(got.batch.rows).size).toBe(8);
  expect(got.batch.rows).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  const images = f32(got.batch.images);
  expect(images).toEqual(f32(want.batch.images));
  expect(Array.from(images)).toEqual(oracle.batch);
}
