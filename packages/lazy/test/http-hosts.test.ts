// Remote reads from ordinary static hosts and from servers that misbehave, on
// 127.0.0.1 (http-server.ts): no Content-Range to be seen, suffix ranges
// answered with 200, Range ignored, 404, 500 then success, a truncated
// answer, slow headers, a trickling body, an endless body. Values are compared
// with the local read of the same files; errors by their exact text (URL and
// what the server did).
import { readFileSync, rmSync, statSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createZarr, HttpClient, openStore, readAnnData, writeAnnDataTo } from "@cellfolio/format";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { type Dataset, openDataset } from "../src/index.js";
import { type Fixtures, makeFixtures, N_CELLS } from "./fixtures.js";
import { serve, type TestServer } from "./http-server.js";

let fx: Fixtures;
let server: TestServer;
/** A Zarr v3 store with sharded images, written by our converter. */
let ours3 = "";
/** The same with every cell in one shard (as `cellfolio extract` writes a small dataset): larger than 4 x its index. */
let oneShard = "";
const dir = path.join(tmpdir(), `lazy-hosts-${process.pid}`);
const url = (file: string) => `${server.url}/${path.relative(dir, file)}`;
/** Fast limits for the fault tests (the defaults are 30 s). */
const FAST = { retryDelayMs: 20 };

beforeAll(async () => {
  fx = makeFixtures(dir);
  ours3 = path.join(dir, "ours-v3.zarr");
  await writeSharded(fx.h5lzf, ours3);
  oneShard = path.join(dir, "ours-v3-one-shard.zarr");
  await writeSharded(fx.h5lzf, oneShard, N_CELLS);
  server = await serve(dir);
}, 120_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

/** The dataset in `from` written by our Zarr writer as v3 with the images in shards of `cells` cells (8: 5 shards). */
async function writeSharded(from: string, to: string, cells = 8): Promise<void> {
  const { adata, close } = await readAnnData(from);
  delete adata.obsm.single_cell_images;
  const src = await openStore(from);
  const info = await src.get("obsm/single_cell_images");
  const images = await src.readArray("obsm/single_cell_images");
  await src.close();
  const w = await createZarr(to, { zarrFormat: 3 });
  await writeAnnDataTo(w, adata);
  const [, c, s] = images.shape;
  await w.writeArray("obsm/single_cell_images", images, { chunks: [1, 1, s, s], shards: [cells, c, s, s], attrs: info?.attrs });
  await w.close();
  await close();
}

/** The same cells read from the local file and from the URL: equal values. */
async function expectSameAsLocal(local: string, remote: Dataset, rows = [0, 7, N_CELLS - 1]): Promise<void> {
  const ds = await openDataset(local);
  try {
    expect(remote.cellIds).toEqual(ds.cellIds);
    const want = await ds.getCells(rows);
    const got = await remote.getCells(rows);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  } finally {
    await ds.close();
  }
}

/** The image array's shard codec, as the store's metadata says. */
function isSharded(store: string): boolean {
  const doc = JSON.parse(readFileSync(path.join(store, "obsm/single_cell_images/zarr.json"), "utf8"));
  return doc.codecs?.[0]?.name === "sharding_indexed";
}

describe("a static host whose Content-Range the client cannot see (a browser, another origin, not exposed)", () => {
  it(".h5sc: the size comes from the superblock; no HEAD; values equal to the local read", async () => {
    server.contentRange = false;
    const remote = await openDataset(url(fx.h5lzf));
    await expectSameAsLocal(fx.h5lzf, remote);
    await remote.close();
    expect(server.log.some((r) => r.method === "HEAD")).toBe(false);
    expect(server.log.every((r) => r.status === 206)).toBe(true);
  });

  it("Zarr v2, v3 (ours, sharded) and a zipped v3: values equal to the local read", async () => {
    expect(isSharded(ours3)).toBe(true);
    const zip = `${ours3}.zip`;
    py(
      `import json, os, sys, zipfile
p = json.loads(sys.stdin.read())
with zipfile.ZipFile(p + ".zip", "w", zipfile.ZIP_STORED) as z:
    for root, _, files in os.walk(p):
        for f in files:
            z.write(os.path.join(root, f), os.path.relpath(os.path.join(root, f), p))
print("{}")`,
      ours3,
    );
    server.contentRange = false;
    for (const store of [fx.zarr2, ours3, zip, ...(fx.zarr3 ? [fx.zarr3] : [])]) {
      const remote = await openDataset(url(store));
      await expectSameAsLocal(store, remote);
      await remote.close();
    }
  });
});

describe("a host that answers suffix ranges (bytes=-N) with 200", () => {
  it("sharded Zarr v3: a small shard's end is taken from the 200 body, later shard indexes from HEAD + explicit range; values equal", async () => {
    server.suffix = "200";
    for (const store of [ours3, ...(fx.zarr3 ? [fx.zarr3] : [])]) {
      const remote = await openDataset(url(store));
      await expectSameAsLocal(store, remote, [0, 9, 17]);
      // shards of 8 cells: row 30 is in a shard not read yet
      server.log.length = 0;
      const local = await openDataset(store);
      expect(Array.from((await remote.getCell(30)).data)).toEqual(Array.from((await local.getCell(30)).data));
      await local.close();
      await remote.close();
      const shardReads = server.log.filter((r) => r.path.includes("obsm/single_cell_images/c"));
      expect(shardReads.some((r) => r.range?.startsWith("bytes=-"))).toBe(false);
      expect(shardReads.filter((r) => r.method === "HEAD").length).toBe(1);
      expect(shardReads.every((r) => r.status === 206 || r.method === "HEAD")).toBe(true);
      server.log.length = 0;
    }
  });

  it("a shard larger than the whole-file bound: its body is cancelled unread, HEAD + explicit range instead", async () => {
    server.suffix = "200";
    const shard = path.join(ours3, "obsm/single_cell_images/c/1/0/0/0");
    const bytes = readFileSync(shard);
    const client = new HttpClient({ maxWholeFileBytes: 1024 });
    const tail = await client.suffix(url(shard), 100);
    expect(Array.from(tail ?? [])).toEqual(Array.from(bytes.subarray(bytes.length - 100)));
    expect(client.bytesReceived).toBe(100);
    expect(server.log.map((r) => `${r.method} ${r.range ?? ""} ${r.status}`)).toEqual([
      "GET bytes=-100 200",
      "HEAD  200",
      `GET bytes=${bytes.length - 100}-${bytes.length - 1} 206`,
    ]);
    // the dataset reads through the same path: values equal
    const remote = await openDataset(url(ours3), { maxWholeFileBytes: 1024 });
    await expectSameAsLocal(ours3, remote, [3, 30]);
    await remote.close();
  });
});

describe("a host that ignores Range entirely", () => {
  it("a small file (within maxWholeFileBytes) is read whole once; values equal", async () => {
    server.ranges = false;
    server.log.length = 0;
    const remote = await openDataset(url(fx.h5gzip));
    await expectSameAsLocal(fx.h5gzip, remote);
    await remote.close();
    // one request: the probe's whole file serves the reader too
    expect(server.log.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${decodeURIComponent(new URL(url(fx.h5gzip)).pathname)}`]);
    server.log.length = 0;
    const zarr = await openDataset(url(ours3));
    await expectSameAsLocal(ours3, zarr);
    await zarr.close();
  });

  it("sharded Zarr v3: one GET a shard over many single-cell reads, its inner chunks then read from memory; values equal", async () => {
    server.ranges = false;
    for (const store of [ours3, oneShard, ...(fx.zarr3 ? [fx.zarr3] : [])]) {
      server.log.length = 0;
      const remote = await openDataset(url(store));
      const local = await openDataset(store);
      for (let row = 0; row < N_CELLS; row++) {
        expect(Array.from((await remote.getCell(row)).data)).toEqual(Array.from((await local.getCell(row)).data));
      }
      await remote.close();
      await local.close();
      const gets = new Map<string, number>();
      for (const r of server.log) if (r.method === "GET" && r.path.includes("obsm/single_cell_images/c/")) gets.set(r.path, (gets.get(r.path) ?? 0) + 1);
      const shards = Math.ceil(N_CELLS / (store === oneShard ? N_CELLS : 8));
      expect(gets.size).toBe(shards);
      expect([...gets.values()]).toEqual(Array(shards).fill(1));
    }
  });

  it("a larger file: a clear error naming the URL and the server's behaviour, the body cancelled", async () => {
    server.ranges = false;
    const size = statSync(fx.h5lzf).size;
    await expect(openDataset(url(fx.h5lzf), { maxWholeFileBytes: 65536 })).rejects.toThrow(
      `${url(fx.h5lzf)}: the server ignores Range requests: it answered "Range: bytes=0-7" with HTTP 200 and the whole file, ${size} bytes; files over 65536 bytes are not downloaded whole (option maxWholeFileBytes); serve the file from a server that supports Range requests`,
    );
    // the body was cancelled: the server did not send the file
    expect(server.log.reduce((a, r) => a + r.bytes, 0)).toBeLessThan(size);
  });
});

describe("errors and faults", () => {
  it("404: names the URL", async () => {
    await expect(openDataset(`${server.url}/missing.h5sc`)).rejects.toThrow(`${server.url}/missing.h5sc: HTTP 404 Not Found: no file at this URL`);
  });

  it("500 then success: retried, values equal", async () => {
    const failed = new Set<string>();
    server.intercept = (req, res, entry) => {
      if (req.method !== "GET" || failed.has(entry.path)) return false;
      failed.add(entry.path);
      entry.status = 500;
      res.writeHead(500).end("busy");
      return true;
    };
    for (const file of [fx.h5lzf, ours3]) {
      const remote = await openDataset(url(file), FAST);
      await expectSameAsLocal(file, remote);
      await remote.close();
    }
    expect(server.log.filter((r) => r.status === 500).length).toBe(failed.size);
    expect(failed.size).toBeGreaterThan(4);
  });

  it("a 503 with Retry-After: 1 is retried after a second", async () => {
    let n = 0;
    server.intercept = (_req, res, entry) => {
      if (n++ > 0) return false;
      entry.status = 503;
      res.writeHead(503, { "Retry-After": "1" }).end();
      return true;
    };
    const t0 = Date.now();
    const remote = await openDataset(url(fx.h5gzip), FAST);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    await expectSameAsLocal(fx.h5gzip, remote, [5]);
    await remote.close();
  });

  it("a 500 every time: the error names the URL, the status and the tries", async () => {
    server.intercept = (_req, res, entry) => {
      entry.status = 500;
      res.writeHead(500).end();
      return true;
    };
    await expect(openDataset(url(fx.h5lzf), FAST)).rejects.toThrow(`${url(fx.h5lzf)}: HTTP 500 Internal Server Error to Range: bytes=0-7 (3 tries)`);
    expect(server.log.length).toBe(3);
    server.log.length = 0;
    await expect(openDataset(url(ours3), FAST)).rejects.toThrow(`${url(ours3)}: cannot open: ${url(ours3)}/zarr.json: HTTP 500 Internal Server Error (3 tries)`);
  });

  it("a truncated answer: the server closed the connection after N of M bytes (not 'terminated')", async () => {
    const remote = await openDataset(url(fx.h5lzf), FAST);
    server.truncate = 100;
    server.log.length = 0;
    const err = await remote.getCell(12).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const chunk = server.log[0];
    const m = /^bytes=(\d+)-(\d+)$/.exec(chunk.range ?? "");
    const asked = Number(m?.[2]) - Number(m?.[1]) + 1;
    expect((err as Error).message).toMatch(new RegExp(`^${url(fx.h5lzf)}: /obsm/single_cell_images: cannot read chunk \\(12, 0, 0, 0\\)`));
    expect((err as Error).message).toContain(`the server closed the connection after 100 of ${asked} bytes (UND_ERR_SOCKET) (3 tries)`);
    expect(server.log.filter((r) => r.range === chunk.range).length).toBeGreaterThanOrEqual(3);
    expect((err as Error).message).not.toMatch(/terminated/);
    await remote.close();
  });

  it("slow headers: an error within the stated time limit (one try; retries: http-backlog.test.ts)", async () => {
    const open: http.ServerResponse[] = [];
    server.intercept = (_req, res) => {
      open.push(res); // never answered
      return true;
    };
    const t0 = Date.now();
    await expect(openDataset(url(fx.h5lzf), { timeoutMs: 300, attempts: 1 })).rejects.toThrow(
      `${url(fx.h5lzf)}: no answer within 0.3 s (the connect and first-byte time limit, option timeoutMs)`,
    );
    expect(Date.now() - t0).toBeLessThan(1500);
    for (const r of open) r.destroy();
  });

  it("a body of 1 byte per second: aborted at the idle limit", async () => {
    const timers: ReturnType<typeof setInterval>[] = [];
    server.intercept = (_req, res) => {
      res.writeHead(206, { "Content-Length": 8 });
      res.write("\x89");
      const t = setInterval(() => res.write("H"), 1000);
      timers.push(t);
      res.on("close", () => clearInterval(t));
      return true;
    };
    const t0 = Date.now();
    await expect(openDataset(url(fx.h5lzf), { idleTimeoutMs: 1500 })).rejects.toThrow(
      new RegExp(
        `^${url(fx.h5lzf)}: the server sent only [1-3] bytes in 1\\.5 s, slower than 1024 bytes/s \\(after [1-3] of 8 bytes; the idle time limit, options idleTimeoutMs and minBytesPerSecond\\)$`,
      ),
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const t of timers) clearInterval(t);
  });

  it("an endless body: reading stops at what was asked, memory stays flat", async () => {
    let written = 0;
    const block = Buffer.alloc(64 * 1024, 7);
    server.intercept = (req, res) => {
      const ranged = !!req.headers.range && server.ranges;
      res.writeHead(ranged ? 206 : 200); // no Content-Length: chunked, without end
      const pump = () => {
        while (!res.destroyed && res.write(block)) written += block.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
      return true;
    };
    const rss0 = process.memoryUsage().rss;
    const client = new HttpClient();
    await expect(client.range(url(fx.h5lzf), 0, 16384)).rejects.toThrow(
      /^http:\/\/127\.0\.0\.1:\d+\/cells-lzf\.h5sc: the server sent more than the 16384 bytes asked for \(Range: bytes=0-16383\); stopped reading after \d+ bytes$/,
    );
    expect(client.bytesReceived).toBeLessThanOrEqual(16384 + 64 * 1024);
    // Range ignored, no Content-Length: read up to the whole-file bound, no further
    server.ranges = false;
    const bounded = new HttpClient({ maxWholeFileBytes: 4 * 1024 * 1024 });
    await expect(bounded.range(url(fx.h5lzf), 0, 8)).rejects.toThrow(
      /the server ignores Range requests: it answered "Range: bytes=0-7" with HTTP 200 and the whole file, more than 4 MiB \(4194304 bytes\): stopped reading after \d+ bytes; files over/,
    );
    expect(bounded.bytesReceived).toBeLessThanOrEqual(4 * 1024 * 1024 + 64 * 1024);
    // and through openDataset: one clear error
    server.ranges = true;
    await expect(openDataset(url(fx.h5lzf))).rejects.toThrow(`${url(fx.h5lzf)}: the server sent more than the 8 bytes asked for (Range: bytes=0-7)`);
    await new Promise((r) => setTimeout(r, 200));
    // the server stopped writing when the client went away: bytes written are bounded, and so is memory
    const after = written;
    await new Promise((r) => setTimeout(r, 300));
    expect(written).toBe(after);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
  });

  it("a fetch that fails with no answer (a browser's CORS refusal) names CORS and the headers to send", async () => {
    const failing = async () => {
      throw new TypeError("Failed to fetch");
    };
    const u = "https://data.example.org/cells.h5sc";
    await expect(openDataset(u, { fetch: failing })).rejects.toThrow(
      `${u}: the request failed with no answer (TypeError: Failed to fetch); in a browser this is most often CORS: a server on another origin must send Access-Control-Allow-Origin (the page's origin or *), Range in Access-Control-Allow-Headers (its answer to the preflight OPTIONS request) and Access-Control-Expose-Headers: Content-Range, Content-Length; else the server is unreachable`,
    );
    await expect(openDataset("https://data.example.org/cells.zarr", { fetch: failing })).rejects.toThrow(
      /^https:\/\/data\.example\.org\/cells\.zarr: cannot open: https:\/\/data\.example\.org\/cells\.zarr\/zarr\.json: the request failed with no answer \(TypeError: Failed to fetch\); in a browser this is most often CORS/,
    );
  });
});
