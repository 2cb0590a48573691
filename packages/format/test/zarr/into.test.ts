// readBlock(..., { into }): the block lands in the caller's reused buffer,
// equal to a plain readBlock on every path of the Zarr reader (one whole
// chunk; many chunks of a local store; partial chunks; shards; chunks never
// written, with a zero and (zarr-python's) a non-zero fill value), with the buffer dirty
// from an earlier block. HDF5 and in-memory stores copy into it.
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { openStore } from "../../src/store.js";
import type { StoreReader, TypedArray } from "../../src/types.js";
import { createZarr, openZarr } from "../../src/zarr/index.js";
import { scratch } from "./helpers.js";

const { dir, cleanup } = scratch("into");
afterAll(cleanup);

/** Ours: fill value 0 (v2, v3, v3 sharded); zarr-python 2's: fill value 7 (v2). */
async function makeStore(zarrFormat: 2 | 3): Promise<string> {
  const target = `${dir}/v${zarrFormat}.zarr`;
  const w = await createZarr(target, { zarrFormat, overwrite: true });
  const shape = [24, 3, 10, 12];
  const data = new Uint16Array(24 * 3 * 10 * 12);
  for (let i = 0; i < data.length; i++) data[i] = 0x3c00 + (i % 997);
  for (const [name, shards] of [
    ["zero", null],
    ["sharded", [8, 3, 10, 12]],
  ] as const) {
    if (shards && zarrFormat === 2) continue;
    const a = await w.createArray(name, { shape, dtype: "uint16", chunks: [2, 3, 10, 12], shards: shards ? [...shards] : null });
    // rows 6-9 never written: the fill value
    await a.setBlock([0, 0, 0, 0], { dtype: "uint16", shape: [6, 3, 10, 12], data: data.subarray(0, 6 * 360) });
    await a.setBlock([10, 0, 0, 0], { dtype: "uint16", shape: [14, 3, 10, 12], data: data.subarray(10 * 360) });
    await a.close();
  }
  await w.close();
  if (zarrFormat === 2) {
    py(
      `
import json, sys, zarr, numpy as np
from numcodecs import Blosc
g = zarr.open_group(json.loads(sys.stdin.read()), mode="w")
z = g.create_dataset("seven", shape=(24, 3, 10, 12), chunks=(2, 3, 10, 12), dtype="<u2",
                     fill_value=7, compressor=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
a = (0x3c00 + np.arange(24 * 360) % 997).astype("<u2").reshape(24, 3, 10, 12)
z[:6] = a[:6]
z[10:] = a[10:]
print("null")
`,
      `${dir}/zp2.zarr`,
    );
  }
  return target;
}

const BLOCKS: [number[], number[]][] = [
  [[0, 0, 0, 0], [24, 3, 10, 12]], // many chunks (a local store's shared path), fill included
  [[2, 0, 0, 0], [2, 3, 10, 12]], // one whole chunk
  [[6, 0, 0, 0], [2, 3, 10, 12]], // one chunk never written
  [[3, 1, 2, 5], [17, 2, 7, 6]], // partial chunks
];

async function check(r: StoreReader, name: string): Promise<void> {
  const into = new Uint16Array(24 * 360 + 50).fill(0xffff);
  for (const [start, shape] of BLOCKS) {
    const plain = await r.readBlock(name, start, shape);
    const got = await r.readBlock(name, start, shape, { into });
    expect(got.shape).toEqual(shape);
    expect((got.data as TypedArray).buffer).toBe(into.buffer);
    expect(Array.from(got.data as Uint16Array), `${name} ${start}`).toEqual(Array.from(plain.data as Uint16Array));
    into.fill(0xffff); // dirty for the next block
  }
  // the rows never written hold the fill value
  const fill = name === "seven" ? 7 : 0;
  const unwritten = await r.readBlock(name, [6, 0, 0, 0], [4, 3, 10, 12], { into });
  expect(Array.from(unwritten.data as Uint16Array).every((v) => v === fill)).toBe(true);
}

describe("readBlock into a reused buffer", () => {
  for (const fmt of [2, 3] as const) {
    it(`Zarr v${fmt}: equals a plain read on every path`, async () => {
      const r = await openZarr(await makeStore(fmt));
      for (const name of fmt === 3 ? ["zero", "sharded"] : ["zero"]) await check(r, name);
      await r.close();
      if (fmt === 2) {
        const theirs = await openZarr(`${dir}/zp2.zarr`);
        await check(theirs, "seven");
        await theirs.close();
      }
    });
  }

  it("int64 (bigint elements): a partial block with chunks never written, into a dirty buffer", async () => {
    const w = await createZarr(`${dir}/i64.zarr`, { zarrFormat: 3, overwrite: true });
    const a = await w.createArray("n", { shape: [6, 4], dtype: "int64", chunks: [2, 4] });
    await a.setBlock([0, 0], { dtype: "int64", shape: [2, 4], data: BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i) - 3n) });
    await a.close();
    await w.close();
    const r = await openZarr(`${dir}/i64.zarr`);
    const into = new BigInt64Array(24).fill(99n);
    const got = await r.readBlock("n", [1, 1], [3, 2], { into });
    expect(Array.from(got.data as BigInt64Array)).toEqual([2n, 3n, 0n, 0n, 0n, 0n]);
    const none = await r.readBlock("n", [2, 0], [0, 4], { into }); // an empty block: nothing to fill, no throw
    expect(none.shape).toEqual([0, 4]);
    expect((none.data as BigInt64Array).length).toBe(0);
    await r.close();
  });

  it("refuses a buffer of another type or too small, naming the array", async () => {
    const r = await openZarr(await makeStore(2));
    await expect(r.readBlock("zero", [0, 0, 0, 0], [2, 3, 10, 12], { into: new Float32Array(720) })).rejects.toThrow(/zero.*into: expected a Uint16Array of at least 720/);
    await expect(r.readBlock("zero", [0, 0, 0, 0], [2, 3, 10, 12], { into: new Uint16Array(719) })).rejects.toThrow(/into: expected a Uint16Array/);
    await r.close();
  });

  it("HDF5: copies the block into it", async () => {
    const file = `${dir}/d.h5`;
    py(
      `
import json, sys, h5py, numpy as np
with h5py.File(json.loads(sys.stdin.read()), "w") as f:
    f.create_dataset("d", data=np.arange(60, dtype="<f4").reshape(4, 15), chunks=(1, 15))
print("null")
`,
      file,
    );
    const r = await openStore(file);
    const into = new Float32Array(40).fill(-1);
    const got = await r.readBlock("d", [1, 5], [2, 10], { into });
    expect((got.data as TypedArray).buffer).toBe(into.buffer);
    expect(Array.from(got.data as Float32Array)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44]);
    await expect(r.readBlock("d", [0, 0], [4, 15], { into })).rejects.toThrow(/into: expected a Float32Array of at least 60/);
    await r.close();
  });
});
