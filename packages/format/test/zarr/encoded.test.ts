// Chunks encoded by the caller (the extraction workers) and handed to the Zarr
// writer with setEncodedBlock: the same stored bytes as setBlock's, read by
// zarr-python 3; refused where a codec cannot run on the caller's thread.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, pyZarr3 } from "../../../../test-utils/oracle.js";
import { FormatError } from "../../src/errors.js";
import { encodeByteCodecsSync } from "../../src/zarr/chunk.js";
import { createZarr, openZarr } from "../../src/zarr/index.js";
import { scratch } from "./helpers.js";

const { dir, cleanup } = scratch("encoded");
const frameScratch = new Uint8Array(4 * 16 * 16 + 4096);
afterAll(cleanup);

const N = 21;
const ROW = [2, 16, 16];
const ROW_ELEMS = 2 * 16 * 16;
const data = new Uint16Array(N * ROW_ELEMS);
// float16 halves in [1, 2), zeros on a third of each row: a compressible stack
for (let i = 0; i < data.length; i++) data[i] = i % ROW_ELEMS < ROW_ELEMS / 3 ? 0 : 0x3c00 + ((i * 7919) % 977);

/** The files under `root`, relative path -> bytes. */
function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/** 0..n-1 in an order of the seed (Fisher-Yates with an LCG): rows as an extraction's spatial order hands them in. */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

describe("Zarr setEncodedBlock", () => {
  for (const zarrFormat of [2, 3] as const) {
    it(`v${zarrFormat}${zarrFormat === 3 ? " sharded" : ""}: chunks encoded with chunkCodecs store the same bytes as setBlock's`, async () => {
      const out: Record<string, string> = {};
      for (const how of ["setBlock", "encoded"]) {
        const target = path.join(dir, `v${zarrFormat}-${how}.zarr`);
        out[how] = target;
        const w = await createZarr(target, { zarrFormat });
        const a = await w.createArray("x", {
          shape: [N, ...ROW],
          dtype: "float16",
          chunks: [1, ...ROW],
          shards: zarrFormat === 3 ? [8, ...ROW] : null,
          compression: { codec: "blosc", cname: "lz4", clevel: 5, shuffle: "byte" },
        });
        for (let i = 0; i < N; i++) {
          const row = data.subarray(i * ROW_ELEMS, (i + 1) * ROW_ELEMS);
          if (how === "setBlock") {
            await a.setBlock([i, 0, 0, 0], { dtype: "float16", shape: [1, ...ROW], data: row.slice() });
            continue;
          }
          const codecs = (a as any).chunkCodecs;
          expect(codecs?.map((c: { id: string }) => c.id)).toEqual(["blosc"]);
          const raw = new Uint8Array(row.buffer, row.byteOffset, row.byteLength);
          const bytes = encodeByteCodecsSync(codecs, raw) as Uint8Array;
          // the same frame written into a caller's scratch (a view of it)
          const viaScratch = encodeByteCodecsSync(codecs, raw, frameScratch) as Uint8Array;
          expect(viaScratch.buffer).toBe(frameScratch.buffer);
          expect(viaScratch).toEqual(bytes);
          await (a as any).setEncodedBlock([i, 0, 0, 0], [1, ...ROW], bytes, [bytes.length], [0]);
        }
        await a.close();
        await w.close();
      }
      const a = files(out.setBlock);
      const b = files(out.encoded);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [k, v] of a) expect(b.get(k)?.equals(v), k).toBe(true);
      if (!hasZarr3()) return;
      const r = pyZarr3(
        `
import json, sys, zarr, numpy as np
p = json.loads(sys.stdin.read())
a = zarr.open_group(p["path"], mode="r")["x"][...]
print(json.dumps({"shape": list(a.shape), "bits": a.view("<u2").ravel().tolist()}))
`,
        { path: out.encoded },
      );
      expect(r.shape).toEqual([N, ...ROW]);
      expect(r.bits).toEqual(Array.from(data));
    });
  }

  it("v3 sharded: rows handed in out of order (an extraction's spatial order) fill every shard at once, within 16 MiB waiting, placed as handed in", async () => {
    // 600 rows of 64 KiB of noise (stored as they are), 8 rows a shard: 75 shards,
    // all open most of the run. Unbounded, the rows waiting in open shards pass 20 MiB.
    const rows = 600;
    const row = [8, 64, 64];
    const elems = 8 * 64 * 64;
    const target = path.join(dir, "scattered.zarr");
    const w = await createZarr(target, { zarrFormat: 3 });
    const a = await w.createArray("x", { shape: [rows, ...row], dtype: "uint16", chunks: [1, ...row], shards: [8, ...row], compression: { codec: "none" } });
    const order = shuffled(rows, 7);
    const value = (r: number, k: number) => (r * 40503 + k * 2654435761) >>> 16;
    for (const r of order) {
      const data = new Uint16Array(elems);
      for (let k = 0; k < elems; k++) data[k] = value(r, k);
      await a.setBlock([r, 0, 0, 0], { dtype: "uint16", shape: [1, ...row], data });
    }
    await a.close();
    await w.close();
    const most = (a as unknown as { mostUnwritten: number }).mostUnwritten;
    expect(most).toBeGreaterThan(8 << 20);
    expect(most).toBeLessThanOrEqual((16 << 20) + 2 * elems + 512);
    // Inner chunks sit in a shard in the order they were handed in (the same bytes for the same order).
    const shard0 = readFileSync(path.join(target, "x", "c", "0", "0", "0", "0"));
    const index = new DataView(shard0.buffer, shard0.byteOffset + shard0.length - 4 - 16 * 8, 16 * 8);
    const offsets = Array.from({ length: 8 }, (_, k) => Number(index.getBigUint64(16 * k, true)));
    const handed = order.filter((r) => r < 8);
    expect(handed.map((r) => offsets[r])).toEqual(handed.map((_, k) => k * 2 * elems));
    // Every row reads back, by us and by zarr-python 3.
    const zr = await openZarr(target);
    const back = (await zr.readArray("x")).data as Uint16Array;
    await zr.close();
    const bad = order.filter((r) => {
      for (let k = 0; k < elems; k += 997) if (back[r * elems + k] !== value(r, k)) return true;
      return false;
    });
    expect(bad).toEqual([]);
    if (!hasZarr3()) return;
    const r = pyZarr3(
      `
import json, sys, zarr, numpy as np
p = json.loads(sys.stdin.read())
a = zarr.open_group(p["path"], mode="r")["x"][...]
print(json.dumps({"shape": list(a.shape), "picks": [int(a[r].ravel()[k]) for r, k in p["picks"]]}))
`,
      { path: target, picks: [[0, 0], [5, 1000], [599, elems - 1], [300, 12345]] },
    );
    expect(r.shape).toEqual([rows, ...row]);
    expect(r.picks).toEqual([value(0, 0), value(5, 1000), value(599, elems - 1), value(300, 12345)]);
  });

  it("v3 sharded: tiny chunks in random order are bounded by their count too, not only their bytes", async () => {
    // 100,000 rows of one 8-byte chunk, shards of 1,000 rows: 100 shards open
    // at once, each written at 512 chunks waiting, so ~51,000 could wait (5 MB
    // of buffers' objects for 400 KB of bytes); each counts as its bytes + 512.
    const rows = 100_000;
    const target = path.join(dir, "tiny.zarr");
    const w = await createZarr(target, { zarrFormat: 3 });
    const a = await w.createArray("x", { shape: [rows, 4], dtype: "uint16", chunks: [1, 4], shards: [1000, 4], compression: { codec: "none" } });
    const order = shuffled(rows, 11);
    for (const r of order) await a.setBlock([r, 0], { dtype: "uint16", shape: [1, 4], data: Uint16Array.of(r & 0xffff, r >>> 16, 7, r % 251) });
    await a.close();
    await w.close();
    const most = (a as unknown as { mostWaiting: number }).mostWaiting;
    expect(most).toBeGreaterThan(20_000);
    expect(most).toBeLessThanOrEqual(Math.ceil((16 << 20) / (8 + 512)) + 1);
    const zr = await openZarr(target);
    const back = (await zr.readArray("x")).data as Uint16Array;
    await zr.close();
    const bad = [0, 1, 999, 1000, 54_321, 65_536, 99_999].filter((r) => back[4 * r] !== (r & 0xffff) || back[4 * r + 1] !== r >>> 16 || back[4 * r + 2] !== 7 || back[4 * r + 3] !== r % 251);
    expect(bad).toEqual([]);
  });

  it("no side door where a codec encodes only asynchronously; a block of the wrong chunk count names the array", async () => {
    const w = await createZarr(path.join(dir, "gzip.zarr"), { zarrFormat: 3 });
    const gz = await w.createArray("g", { shape: [4, ...ROW], dtype: "float16", chunks: [1, ...ROW], compression: { codec: "gzip", level: 1 } });
    expect((gz as any).chunkCodecs).toBeNull();
    const lz = await w.createArray("l", { shape: [4, ...ROW], dtype: "float16", chunks: [1, ...ROW], compression: { codec: "blosc", cname: "lz4" } });
    const err = await (lz as any).setEncodedBlock([0, 0, 0, 0], [2, ...ROW], new Uint8Array(8), [8], [0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(String(err.message)).toMatch(/\bl\b.*1 chunks.*covers 2/);
    await w.abort();
  });
});
