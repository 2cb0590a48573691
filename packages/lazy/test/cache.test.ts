// The chunk cache on its own: one load per key however many ask at once, an
// LRU under the byte budget, failures not remembered.
import type { NDArray } from "@cellfolio/format";
import { describe, expect, it } from "vitest";
import { ChunkCache } from "../src/index.js";

const chunk = (bytes: number, v = 0): NDArray => ({ dtype: "uint8", shape: [bytes], data: new Uint8Array(bytes).fill(v) });
const later = <T>(v: T, ms = 5) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe("ChunkCache", () => {
  it("coalesces concurrent requests for a chunk into one load", async () => {
    const cache = new ChunkCache(1000);
    let loads = 0;
    const load = () => {
      loads++;
      return later(chunk(10, 7));
    };
    const got = await Promise.all([cache.get("a", load), cache.get("a", load), cache.get("a", load)]);
    expect(loads).toBe(1);
    expect(got[0]).toBe(got[2]);
    expect(cache.stats).toMatchObject({ misses: 1, coalesced: 2, hits: 0 });
    await cache.get("a", load);
    expect(loads).toBe(1);
    expect(cache.stats.hits).toBe(1);
  });

  it("evicts the least recently used chunks to stay under the byte budget", async () => {
    const cache = new ChunkCache(30);
    const loaded: string[] = [];
    const load = (k: string) => () => {
      loaded.push(k);
      return Promise.resolve(chunk(10));
    };
    for (const k of ["a", "b", "c"]) await cache.get(k, load(k));
    await cache.get("a", load("a")); // a is now the most recent
    await cache.get("d", load("d")); // evicts b
    expect(cache.stats.bytes).toBe(30);
    expect(cache.stats.evictions).toBe(1);
    await cache.get("a", load("a"));
    await cache.get("b", load("b"));
    expect(loaded).toEqual(["a", "b", "c", "d", "b"]);
    // a chunk larger than the budget is served but not kept
    await cache.get("big", load("big"));
    expect(cache.size).toBe(3);
  });

  it("does not remember a failed load", async () => {
    const cache = new ChunkCache();
    let n = 0;
    const load = () => (++n === 1 ? Promise.reject(new Error("corrupt")) : Promise.resolve(chunk(4)));
    await expect(cache.get("x", load)).rejects.toThrow("corrupt");
    await expect(cache.get("x", load)).resolves.toMatchObject({ shape: [4] });
    expect(n).toBe(2);
  });
});
