// Remote reads from a real HTTP server on 127.0.0.1 (Range support, request
// counting): what opening and reading costs, and that values equal local
// reads and h5py's / zarr-python's.
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { DatasetError, openDataset } from "../src/index.js";
import { CHANNELS, type Fixtures, makeFixtures, pythonRead, SIZE } from "./fixtures.js";
import { serve, type TestServer } from "./http-server.js";

let fx: Fixtures;
let server: TestServer;
const dir = mkdtempSync(path.join(tmpdir(), "lazy-http-"));
const url = (file: string) => `${server.url}/${path.relative(dir, file)}`;

beforeAll(async () => {
  fx = makeFixtures(dir);
  server = await serve(dir);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.ranges = true;
  server.log.length = 0;
});

/** Size of a file. */
function sizeOf(p: string): number {
  return statSync(p).size;
}

describe("remote Zarr", () => {
  it("opens a consolidated v2 store in <= 3 requests; one cell costs one request per chunk", async () => {
    const ds = await openDataset(url(fx.zarr2), { eager: false });
    // the metadata only (the backend looks for v3's zarr.json, then v2's .zmetadata)
    expect(server.log.length).toBeLessThanOrEqual(3);
    expect(server.log.every((r) => r.path.endsWith("zarr.json") || r.path.endsWith(".zmetadata"))).toBe(true);
    // the cellIDs and channel names: one small array each
    server.log.length = 0;
    await ds.loadIndex();
    expect(server.log.length).toBe(2);
    expect(ds.channelNames).toEqual(CHANNELS);
    expect(ds.cellIds).toEqual(pythonRead(fx.zarr2, []).ids);
    const local = await openDataset(fx.zarr2);
    const id = ds.cellIds[11];
    server.log.length = 0;
    const remote = await ds.getByCellId(id);
    const chunksPerCell = Math.ceil(CHANNELS.length / ds.chunks[1]);
    expect(server.log.length).toBe(chunksPerCell);
    expect(server.log.every((r) => r.path.includes("obsm/single_cell_images"))).toBe(true);
    const want = pythonRead(fx.zarr2, [11]);
    expect(Array.from(remote.data)).toEqual(want.images);
    expect(Array.from(remote.data)).toEqual(Array.from((await local.getByCellId(id)).data));
    // cached: reading it again costs nothing
    server.log.length = 0;
    await ds.getByCellId(id, { channels: ["DNA"] });
    expect(server.log.length).toBe(0);
    // the rest of obs / var / uns on demand
    await ds.load();
    expect(ds.obs.categorical.label.categories).toEqual(["interphase", "mitotic", "unknown"]);
    expect(ds.info.nMasks).toBe(2);
    await ds.close();
    await local.close();
  });

  it("reads a sharded v3 store by range: shard index + one request per chunk, never a whole shard", async (ctx) => {
    if (!fx.zarr3) return ctx.skip();
    const ds = await openDataset(url(fx.zarr3), { eager: false });
    expect(server.log.length).toBeLessThanOrEqual(3);
    await ds.loadIndex();
    server.log.length = 0;
    const got = await ds.getByCellId(ds.cellIds[9], { channels: ["DNA", "PH3"] });
    const chunkRequests = server.log.filter((r) => r.path.includes("obsm/single_cell_images/"));
    // 2 chunks (neighbouring inner chunks may come in one range) + at most one
    // shard-index read: never more bytes than those, never a whole shard.
    expect(chunkRequests.length).toBeLessThanOrEqual(3);
    expect(chunkRequests.every((r) => r.status === 206)).toBe(true);
    const bytes = chunkRequests.reduce((sum, r) => sum + r.bytes, 0);
    expect(bytes).toBeLessThanOrEqual(2 * (SIZE * SIZE * 2 + 1024) + 16 * 1024);
    const want = pythonRead(fx.zarr3, [9]);
    const plane = SIZE * SIZE;
    expect(Array.from(got.data)).toEqual(want.images.slice(2 * plane, 4 * plane));
    await ds.close();
  });
});

describe("remote HDF5 (.h5sc)", () => {
  for (const kind of ["h5lzf", "h5gzip"] as const) {
    it(`${kind}: reads cells by id with range requests only, equal to h5py`, async () => {
      const file = fx[kind];
      const total = sizeOf(file);
      const ds = await openDataset(url(file));
      const openRequests = server.log.length;
      expect(ds.cellIds).toEqual(pythonRead(file, []).ids);
      server.log.length = 0;
      const rows = [3, 30];
      const got = await ds.getByCellId(rows.map((r) => ds.cellIds[r]));
      expect(Array.from(got.data)).toEqual(pythonRead(file, rows).images);
      // One request per chunk the cells need (the chunk index was read when the dataset opened or at the first read).
      const chunkReads = server.log.length;
      expect(chunkReads).toBeLessThanOrEqual(rows.length * CHANNELS.length + 4);
      server.log.length = 0;
      await ds.getByCellId(ds.cellIds[20]); // may read one more node of the chunk index
      server.log.length = 0;
      await ds.getByCellId(ds.cellIds[21]);
      // Now at most one request per chunk (the backend merges neighbouring
      // chunks into one range), and the bytes are exactly those of the cell's
      // chunks as h5py reports them.
      expect(server.log.length).toBeGreaterThanOrEqual(1);
      expect(server.log.length).toBeLessThanOrEqual(CHANNELS.length);
      const stored = py(
        `import json, sys, h5py
p = json.loads(sys.stdin.read())
with h5py.File(p, "r") as f:
    d = f["obsm/single_cell_images"]
    print(json.dumps(sum(d.id.get_chunk_info_by_coord((21, c, 0, 0)).size for c in range(d.shape[1]))))`,
        file,
      );
      expect(server.log.reduce((a, r) => a + r.bytes, 0)).toBe(stored);
      for (const r of server.log) expect(r.status).toBe(206);
      for (const r of server.log) expect(r.bytes).toBeLessThan(total / 4);
      console.log(`${kind}: open ${openRequests} requests, first 2 cells ${chunkReads}, then 1 cell ${server.log.length}`);
      await ds.close();
      // metadata only: the range check and the backend's metadata reads
      server.log.length = 0;
      const lazy = await openDataset(url(file), { eager: false });
      const metaRequests = server.log.length;
      expect(server.log.every((r) => r.status === 206 && r.bytes < total / 4)).toBe(true);
      expect(Array.from((await lazy.getCell(30)).data)).toEqual(pythonRead(file, [30]).images);
      console.log(`${kind}: open with eager: false ${metaRequests} requests`);
      await lazy.close();
    });
  }
});

describe("remote HDF5 with a user block", () => {
  it("a 512-byte block in front of the file (as h5jam or MATLAB put it): opened and read as h5py reads it", async () => {
    const jammed = path.join(dir, "userblock.h5sc");
    writeFileSync(jammed, Buffer.concat([Buffer.alloc(512, 0x20), readFileSync(fx.h5gzip)]));
    const ds = await openDataset(url(jammed));
    const want = pythonRead(jammed, [5]);
    expect(ds.cellIds).toEqual(want.ids);
    expect(ds.cellIds).toEqual(pythonRead(fx.h5gzip, []).ids);
    expect(Array.from((await ds.getCell(5)).data)).toEqual(want.images);
    await ds.close();
  });

  it("a file with no HDF5 signature at 0 nor after a user block is named as not HDF5", async () => {
    const text = path.join(dir, "notes.h5sc");
    writeFileSync(text, "not an HDF5 file, ".repeat(1000));
    await expect(openDataset(url(text))).rejects.toThrow(/notes\.h5sc.*not an HDF5 file \(no HDF5 signature at offset 0, nor after a user block/);
  });
});

describe("bad input over HTTP", () => {
  it("404", async () => {
    await expect(openDataset(`${server.url}/missing.h5sc`)).rejects.toThrow(/missing\.h5sc.*HTTP 404/);
    await expect(openDataset(`${server.url}/missing.zarr`)).rejects.toThrow(DatasetError);
  });

  it("a server without Range support: a clear error above maxWholeFileBytes, and the file is not downloaded", async () => {
    server.ranges = false;
    await expect(openDataset(url(fx.h5lzf), { maxWholeFileBytes: 4096 })).rejects.toThrow(/: the server ignores Range requests: it answered "Range: bytes=0-7" with HTTP 200 and the whole file/);
    const sent = server.log.reduce((a, r) => a + r.bytes, 0);
    expect(sent).toBeLessThan(sizeOf(fx.h5lzf));
  });

  it("a corrupt chunk fails that read only; a truncated file fails the reads past its end", async () => {
    const bad = path.join(dir, "corrupt.h5sc");
    copyFileSync(fx.h5gzip, bad);
    // h5py gives the byte range of chunk (7, 2, 0, 0); overwrite it with garbage.
    const info = py(
      `import json, sys, h5py
p = json.loads(sys.stdin.read())
with h5py.File(p, "r") as f:
    d = f["obsm/single_cell_images"]
    i = d.id.get_chunk_info_by_coord((7, 2, 0, 0))
    last = max((d.id.get_chunk_info(k) for k in range(d.id.get_num_chunks())), key=lambda c: c.byte_offset)
    print(json.dumps({"offset": i.byte_offset, "size": i.size, "lastOffset": last.byte_offset, "lastCoord": list(last.chunk_offset)}))`,
      bad,
    );
    const fd = openSync(bad, "r+");
    writeSync(fd, Buffer.alloc(info.size, 0xa5), 0, info.size, info.offset);
    closeSync(fd);
    const ds = await openDataset(url(bad));
    await expect(ds.getCell(7)).rejects.toThrow(/corrupt\.h5sc: \/obsm\/single_cell_images.*chunk \(7, 2, 0, 0\)/);
    const ok = await ds.getCell(7, { channels: [0, 1, 3, 4] });
    expect(ok.shape).toEqual([1, 4, SIZE, SIZE]);
    const good = await ds.getCell(8);
    expect(Array.from(good.data)).toEqual(pythonRead(fx.h5gzip, [8]).images);
    await ds.close();
    // The same without a cache (cells read row by row): the error still names the chunk.
    const ds0 = await openDataset(url(bad), { cacheBytes: 0 });
    await expect(ds0.getCell(7)).rejects.toThrow(/corrupt\.h5sc: \/obsm\/single_cell_images.*chunk \(7, 2, 0, 0\)/);
    expect((await ds0.getCell(7, { channels: [0, 1, 3, 4] })).shape).toEqual([1, 4, SIZE, SIZE]);
    expect(Array.from((await ds0.getCell(8)).data)).toEqual(Array.from(good.data));
    await ds0.close();

    const cut = path.join(dir, "truncated.h5sc");
    copyFileSync(fx.h5gzip, cut);
    truncateSync(cut, info.lastOffset + 4);
    const local = await openDataset(cut).catch((e) => e);
    if (local instanceof Error) {
      expect(local).toBeInstanceOf(DatasetError);
      expect(local.message).toMatch(/truncated\.h5sc/);
    } else {
      const lastRow = info.lastCoord[0];
      await expect(local.getCell(lastRow)).rejects.toThrow(/truncated\.h5sc: \/obsm\/single_cell_images/);
      expect((await local.getCell(0)).shape).toEqual([1, CHANNELS.length, SIZE, SIZE]);
      await local.close();
    }
  });
});
