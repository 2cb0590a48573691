// Default chunking and sharding: ~1 MB chunks of whole trailing axes, v3 shards
// of whole rows for large arrays, none for small ones, v2, or strings.
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { product } from "../../src/dtype.js";
import { createZarr, guessChunks } from "../../src/zarr/index.js";
import { scratch } from "./helpers.js";

const { dir, cleanup } = scratch("defaults");
afterAll(cleanup);

describe("default chunks and shards", () => {
  it("chunks: whole trailing axes, about 1 MB along the first axis", () => {
    expect(guessChunks([100000, 5, 128, 128], 2)).toEqual([6, 5, 128, 128]);
    expect(guessChunks([1000], 8)).toEqual([1000]);
    expect(guessChunks([], 8)).toEqual([]);
    const wide = guessChunks([10, 4096, 4096], 4); // one row is 64 MB: trailing axes halved
    expect(wide[0]).toBe(1);
    expect(product(wide) * 4).toBeLessThanOrEqual(1 << 20);
  });
  it("a large v3 array is sharded by whole rows; small, string and v2 arrays are not", async () => {
    const w3 = await createZarr(path.join(dir, "d3.zarr"), { zarrFormat: 3 });
    const big = await w3.createArray("big", { shape: [20000, 5, 128, 128], dtype: "float16", chunks: [1, 5, 128, 128] });
    expect(big.info.shards?.slice(1)).toEqual([5, 128, 128]);
    expect((big.info.shards as number[])[0]).toBeGreaterThan(1);
    expect(big.unit).toEqual([1, 5, 128, 128]); // shards fill chunk by chunk
    const small = await w3.createArray("small", { shape: [100, 10], dtype: "float32" });
    expect(small.info.shards).toBeNull();
    const strings = await w3.createArray("s", { shape: [10_000_000], dtype: "string" });
    expect(strings.info.shards).toBeNull();
    await w3.abort();
    const w2 = await createZarr(path.join(dir, "d2.zarr"), { zarrFormat: 2 });
    const big2 = await w2.createArray("big", { shape: [20000, 5, 128, 128], dtype: "float16" });
    expect(big2.info.shards).toBeNull();
    expect(big2.info.chunks).toEqual([6, 5, 128, 128]);
    expect(big2.info.compression).toBe("blosc(lz4,5,shuffle)");
    await w2.abort();
  });
});
