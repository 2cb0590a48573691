// The Node entry's worker pools run the same filter pipeline as the calling
// thread: chunks encoded in the filter workers equal encodeChunkSync's bytes,
// and chunks decoded in the decode workers equal the input. They run from the
// built worker modules even when this test runs the TypeScript sources, so a
// pool that cannot start fails here instead of falling back to one thread, and
// the pools' statistics show the chunks ran on the workers.
import { afterAll, describe, expect, it } from "vitest";
import { encodeChunkSync, type H5Filter } from "../src/filters/registry.js";
import { WorkerDecodePool } from "../src/node/decode-pool.js";
import { WorkerFilterPool } from "../src/node/filter-pool.js";
import { workerFile } from "../src/node/worker-pool.js";
import type { Filter } from "../src/reader/messages.js";

/** float16-like cells: a blob of values on zeros, as masked cell images are. */
function chunk(seed: number, n = 4096): Uint8Array {
  const v = new Uint16Array(n);
  for (let i = 0; i < n; i++) v[i] = i % 64 < 20 + (seed % 7) ? 0x3c00 + ((i * 31 + seed * 977) % 1024) : 0;
  return new Uint8Array(v.buffer);
}

const PIPELINES: { name: string; write: H5Filter[]; read: Filter[] }[] = [
  { name: "shuffle+gzip", write: [{ id: "shuffle" }, { id: "deflate", level: 1, strategy: "rle" }], read: [{ id: 2, values: [2] }, { id: 1, values: [1] }] as Filter[] },
  { name: "lzf", write: [{ id: "lzf" }], read: [{ id: 32000, values: [4, 0x0105, 8192] }] as Filter[] },
];

describe("Node worker pools", () => {
  const filters = new WorkerFilterPool(2);
  const decoder = new WorkerDecodePool(2);
  afterAll(async () => {
    await filters.close();
    await decoder.close();
  });

  it("find their built modules (npm run build makes them)", () => {
    expect(workerFile("node/decode-worker", new URL("../src/node/decode-pool.ts", import.meta.url).href)).toMatch(/dist\/node\/decode-worker\.js$/);
    expect(() => workerFile("node/no-such-worker", import.meta.url)).toThrow(/no-such-worker\.js is missing: run "npm run build"/);
  });

  for (const p of PIPELINES) {
    it(`${p.name}: worker-encoded chunks equal the calling thread's, and decode back in the decode workers`, async () => {
      const raws = Array.from({ length: 24 }, (_, k) => chunk(k));
      const here = raws.map((r) => {
        const e = encodeChunkSync(r, p.write, 2);
        return { bytes: e.bytes.slice(), mask: e.mask };
      });
      const there = await Promise.all(raws.map((r) => filters.encode(r.slice(), p.write, 2)));
      for (let k = 0; k < raws.length; k++) {
        expect(there[k].mask).toBe(here[k].mask);
        expect(Buffer.from(there[k].bytes).equals(Buffer.from(here[k].bytes))).toBe(true);
      }
      // all 24 chunks side by side, as a read of adjacent chunks sends them
      const total = here.reduce((s, c) => s + c.bytes.length, 0);
      const bytes = new Uint8Array(total);
      const chunks = [];
      let at = 0;
      for (const c of here) {
        bytes.set(c.bytes, at);
        chunks.push({ offset: at, size: c.bytes.length, mask: c.mask });
        at += c.bytes.length;
      }
      const decoded = await decoder.decode({ bytes, chunks, filters: p.read, rawSize: 8192, elementSize: 2 });
      for (let k = 0; k < raws.length; k++) expect(Buffer.from(decoded.subarray(k * 8192, (k + 1) * 8192)).equals(Buffer.from(raws[k]))).toBe(true);
    });
  }

  it("ran those chunks on worker threads, the filter batches on both workers (no fallback to this thread)", () => {
    // 2 pipelines x 24 chunks each way
    expect(filters.pool.stats()).toEqual([24, 24]);
    expect(decoder.pool.stats().reduce((a, b) => a + b, 0)).toBe(48);
  });

  it("a corrupt chunk fails its job naming the chunk", async () => {
    const good = encodeChunkSync(chunk(1), PIPELINES[1].write, 2).bytes.slice();
    const bad = good.slice();
    bad[0] = 0xff; // an lzf back reference before the start of the output
    const bytes = new Uint8Array(good.length + bad.length);
    bytes.set(good);
    bytes.set(bad, good.length);
    const job = { bytes, chunks: [{ offset: 0, size: good.length, mask: 0 }, { offset: good.length, size: bad.length, mask: 0 }], filters: PIPELINES[1].read, rawSize: 8192, elementSize: 2 };
    await expect(decoder.decode(job)).rejects.toMatchObject({ chunk: 1 });
  });
});
