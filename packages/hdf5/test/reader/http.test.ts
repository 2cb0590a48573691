// Reading over HTTP: a real node:http server on 127.0.0.1 with Range support.
// Opening and reading one cell costs a few small requests; no request reads
// the whole file; 404s and servers that ignore Range give clear errors.
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { Hdf5File, HttpSource } from "../../src/reader/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "hdf5-http-"));
const file = path.join(dir, "cells.h5sc");
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
    res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": end - start + 1 });
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

  it("a missing file is a clear 404 error", async () => {
    await expect(Hdf5File.open(`${base}/nope.h5ad`)).rejects.toThrow(/nope\.h5ad.*404/);
  });

  it("a server that ignores Range is refused, not downloaded whole", async () => {
    await expect(Hdf5File.open(`${base}/cells.h5sc?norange=1`)).rejects.toThrow(/ignores Range requests/);
  });
});
