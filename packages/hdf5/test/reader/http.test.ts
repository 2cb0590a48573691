// Reading over HTTP: a real node:http server on 127.0.0.1 with Range support.
// Opening and reading one cell costs a few small requests; no request reads
// the whole file; 404s and servers that ignore Range give clear errors.
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { HTTP_CONCURRENCY, HttpClient } from "../../src/http.js";
import { LARGE_INDEX } from "../../src/reader/dataset.js";
import { Hdf5File, HttpSource, MemorySource } from "../../src/reader/index.js";
import { sparseFile } from "./sparse-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "hdf5-http-"));
const file = path.join(dir, "cells.h5sc");
/** A file with a 512-byte user block before the superblock (as h5jam, .h5mu and MATLAB files have). */
const withUserBlock = path.join(dir, "userblock.h5");
let server: Server;
let base = "";
const log: { path: string; range: string | undefined; bytes: number }[] = [];

beforeAll(async () => {
  // 300 cells x 5 channels x 32 x 32 float16, chunks (1, 1, 32, 32), lzf: about 3 MB.
  py(
    `import h5py, json, sys, numpy as np
p = json.loads(sys.stdin.read())
rng = np.random.default_rng(1)
x = rng.random((300, 5, 32, 32)).astype(np.float16)
with h5py.File(p, "w") as f:
    d = f.create_group("obsm").create_dataset("single_cell_images", data=x, chunks=(1, 1, 32, 32), compression="lzf")
    d.attrs["channel_names"] = np.array([b"a", b"b", b"c", b"d", b"e"])
    f.create_group("obs").create_dataset("_index", data=np.array([str(i) for i in range(300)], dtype=object), dtype=h5py.string_dtype())
print(json.dumps(1))`,
    file,
  );
  py(
    `import h5py, json, sys, numpy as np
p = json.loads(sys.stdin.read())
with h5py.File(p, "w", userblock_size=512) as f:
    f.create_dataset("x", data=np.arange(5000, dtype="<i4").reshape(100, 50), chunks=(10, 50), compression="gzip")
print(json.dumps(1))`,
    withUserBlock,
  );
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const name = path.join(dir, path.basename(url.pathname));
    let size: number;
    try {
      size = statSync(name).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = req.headers.range;
    const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
    if (!m || url.searchParams.has("norange")) {
      log.push({ path: url.pathname, range, bytes: size });
      res.writeHead(200, { "Content-Length": size });
      createReadStream(name).pipe(res);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), size - 1);
    log.push({ path: url.pathname, range, bytes: end - start + 1 });
    // ?nocr: no Content-Range, as a browser shows a server on another origin that does not expose it
    const cr = url.searchParams.has("nocr") ? {} : { "Content-Range": `bytes ${start}-${end}/${size}` };
    res.writeHead(206, { ...cr, "Content-Length": end - start + 1 });
    createReadStream(name, { start, end }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("HDF5 over HTTP range requests", () => {
  it("opens, lists, reads attributes and one cell with few small requests", async () => {
    const size = statSync(file).size;
    log.length = 0;
    const src = new HttpSource(`${base}/cells.h5sc`);
    const f = await Hdf5File.open(src);
    const root = await f.get("");
    expect(root?.kind === "group" && (await root.keys())).toEqual(["obs", "obsm"]);
    const d = await f.dataset("obsm/single_cell_images");
    expect(d.shape).toEqual([300, 5, 32, 32]);
    const attrs = await d.attributes();
    expect(attrs.map((a) => [a.name, a.value])).toEqual([["channel_names", ["a", "b", "c", "d", "e"]]]);
    const openRequests = src.requests;
    const cell = await d.read([123, 0, 0, 0], [1, 5, 32, 32]);
    const expected = py(
      "import h5py, json, sys, numpy as np\nf = h5py.File(json.loads(sys.stdin.read()), 'r')\nprint(json.dumps(f['obsm/single_cell_images'][123].view(np.uint16).ravel().tolist()))",
      file,
    );
    expect(Array.from(cell as Uint16Array)).toEqual(expected);
    await f.close();
    // The chunk index (1500 chunks in a v1 B-tree) and headers: a handful of 16 KiB blocks.
    expect(openRequests).toBeLessThanOrEqual(6);
    expect(src.requests).toBeLessThanOrEqual(openRequests + 12);
    expect(Math.max(...log.map((l) => l.bytes))).toBeLessThan(size / 10);
    expect(src.bytesRead).toBeLessThan(size / 4);
    // The 5 chunks of one cell lie next to each other: one read.
    const last = log[log.length - 1];
    expect(last.bytes).toBeLessThan(5 * 32 * 32 * 2 + 16 * 1024);
  });

  it("a large chunk index (over 2^20 chunks in the grid) is still searched after 64 small reads, not downloaded", async () => {
    // 10,000 chunks of 1 int32 spread over a grid of LARGE_INDEX + 1000: ~160 leaves, ~330 KB of index
    const n = LARGE_INDEX + 1000;
    const step = Math.floor(n / 10_000);
    const bytes = await sparseFile(n, 10_000);
    writeFileSync(path.join(dir, "sparse.h5"), bytes);
    const src = new HttpSource(`${base}/sparse.h5`);
    const f = await Hdf5File.open(src);
    const x = await f.dataset("x");
    for (let r = 0; r < 80; r++) {
      const at = ((r * 37) % 10_000) * step;
      expect(Array.from((await x.read([at], [1])) as Int32Array)).toEqual([at]);
    }
    await f.close();
    // 80 searches read a few nodes each, in 16 KiB blocks, never the whole index
    expect(src.bytesRead).toBeLessThan(bytes.length / 2);
  });

  it("a missing file is a clear 404 error", async () => {
    await expect(Hdf5File.open(`${base}/nope.h5ad`)).rejects.toThrow(/nope\.h5ad.*404/);
  });

  it("a server that ignores Range: a small file is read whole (within maxWholeFileBytes), a larger one refused", async () => {
    const size = statSync(file).size;
    const src = new HttpSource(`${base}/cells.h5sc?norange=1`);
    const f = await Hdf5File.open(src);
    const d = await f.dataset("obsm/single_cell_images");
    const cell = await d.read([7, 0, 0, 0], [1, 5, 32, 32]);
    const expected = py(
      "import h5py, json, sys, numpy as np\nf = h5py.File(json.loads(sys.stdin.read()), 'r')\nprint(json.dumps(f['obsm/single_cell_images'][7].view(np.uint16).ravel().tolist()))",
      file,
    );
    expect(Array.from(cell as Uint16Array)).toEqual(expected);
    expect(src.requests).toBe(1);
    await f.close();
    const small = new HttpSource(`${base}/cells.h5sc?norange=1`, { maxWholeFileBytes: 1024 * 1024 });
    await expect(Hdf5File.open(small)).rejects.toThrow(
      `${base}/cells.h5sc?norange=1: the server ignores Range requests: it answered "Range: bytes=0-16383" with HTTP 200 and the whole file, ${+(size / 2 ** 20).toFixed(1)} MiB (${size} bytes); files over 1 MiB (1048576 bytes) are not downloaded whole (option maxWholeFileBytes); serve the file from a server that supports Range requests`,
    );
    expect(small.bytesRead).toBe(0);
  });

  it("no Content-Range to be seen: the size is the superblock's end-of-file address (absolute, user block included)", async () => {
    const expected = py("import h5py, json, sys\nf = h5py.File(json.loads(sys.stdin.read()), 'r')\nprint(json.dumps(f['x'][...].ravel().tolist()))", withUserBlock);
    for (const src of [new HttpSource(`${base}/userblock.h5?nocr=1`), new HttpSource(`${base}/userblock.h5`), new MemorySource(readFileSync(withUserBlock))]) {
      expect(await src.size()).toBe(statSync(withUserBlock).size);
      const f = await Hdf5File.open(src);
      expect(f.superblock.offset).toBe(512);
      const d = await f.dataset("x");
      expect(Array.from((await d.read([0, 0], [100, 50])) as Int32Array)).toEqual(expected);
      await f.close();
    }
    const big = new HttpSource(`${base}/cells.h5sc?nocr=1`);
    expect(await big.size()).toBe(statSync(file).size);
  });
});

describe("HttpClient: requests in flight per origin, whole files kept", () => {
  let slow: Server;
  let slowBase = "";
  let underWay = 0;
  let peak = 0;
  /** Requests that came before the first answer went out. */
  let beforeFirstAnswer = 0;
  let answers = 0;
  const gets: string[] = [];
  beforeAll(async () => {
    // Answers each request after 20 ms, counting those under way; ?whole: ignores Range (200, the whole file); ?stall: never answered.
    slow = createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      gets.push(u.pathname);
      underWay++;
      peak = Math.max(peak, underWay);
      if (answers === 0) beforeFirstAnswer++;
      res.on("close", () => underWay--);
      if (u.searchParams.has("stall")) return;
      const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + u.pathname.length) & 255));
      setTimeout(() => {
        answers++;
        if (u.searchParams.has("whole")) res.writeHead(200, { "Content-Length": body.length }).end(body);
        else res.writeHead(206, { "Content-Range": `bytes 0-3/${body.length}`, "Content-Length": 4 }).end(body.subarray(0, 4));
      }, 20);
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    slowBase = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });

  it("requests under way to an http: origin, shared by every client: 6 at first, more while the server keeps up (up to 64), half after a request goes unanswered for 1 s, for good", async () => {
    expect(HTTP_CONCURRENCY).toEqual({ "http:": 6, max: 64 });
    const a = new HttpClient();
    const b = new HttpClient({ timeoutMs: 1500, attempts: 1 });
    const burst = (n: number, tag: string) => Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? a : b).range(`${slowBase}/${tag}${i}`, 0, 4)));
    const got = await burst(300, "f");
    expect(got.every((g) => g?.bytes.length === 4)).toBe(true);
    expect(beforeFirstAnswer).toBe(6);
    // the window grows to 64; the server may see one or two of them already answered (20 ms each) when the last are sent, on a loaded machine
    expect(peak).toBeGreaterThanOrEqual(56);
    expect(peak).toBeLessThanOrEqual(64);
    // a request never answered: after 1 s the window is cut to 32, and stays there
    const stalled = b.range(`${slowBase}/s?stall`, 0, 4).catch((e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 1100));
    peak = 0;
    await burst(300, "g");
    expect(await stalled).toBe(`${slowBase}/s?stall: no answer within 1.5 s (the connect and first-byte time limit, option timeoutMs)`);
    expect(peak).toBeLessThanOrEqual(32 + 1);
    expect(peak).toBeGreaterThan(16);
  });

  it("a `concurrency` given is a fixed limit, for that value's clients", async () => {
    while (underWay > 0) await new Promise((r) => setTimeout(r, 10)); // the stalled request of the test above, closed
    peak = 0;
    const c = new HttpClient({ concurrency: 16 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.range(`${slowBase}/h${i}`, 0, 4)));
    expect(peak).toBe(16);
    expect(() => new HttpClient({ concurrency: 0 })).toThrow("HTTP option concurrency must be an integer >= 1, got 0");
  });

  it("a whole file a server sent for a range request answers the later ranges of that URL; least recently used dropped past wholeFileCacheBytes", async () => {
    const client = new HttpClient({ maxWholeFileBytes: 1000, wholeFileCacheBytes: 2000 });
    const expected = (name: string) => Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + name.length) & 255));
    const read = async (name: string, offset: number, length: number) => {
      const r = await client.range(`${slowBase}/${name}?whole`, offset, length);
      expect(Array.from(r?.bytes ?? [])).toEqual(Array.from(expected(`/${name}`).subarray(offset, offset + length)));
      expect(r?.size).toBe(1000);
      // the caller's own bytes: changing (or transferring) them leaves the kept file as it was
      r?.bytes.fill(0);
    };
    gets.length = 0;
    await read("a", 0, 10);
    await read("bb", 5, 10);
    await read("a", 900, 100); // kept: no request; "a" used last
    await read("ccc", 0, 1); // 3000 bytes, past the budget: "bb" is dropped
    await read("a", 10, 10);
    await read("bb", 0, 10); // downloaded again
    expect(gets).toEqual(["/a", "/bb", "/ccc", "/bb"]);
    expect(Array.from((await client.suffix(`${slowBase}/a?whole`, 3)) ?? [])).toEqual(Array.from(expected("/a").subarray(997)));
    expect(Array.from((await client.get(`${slowBase}/a?whole`)) ?? [])).toEqual(Array.from(expected("/a")));
    expect(gets.length).toBe(4);
  });
});
