// What `cellfolio view`'s server refuses: symlinks out of the dataset and the
// viewer, a foreign Host header (DNS rebinding), CORS reads by default; and
// the label writes of --annotate without the token, from another origin, to
// anywhere but the dataset's CSV, and all writes without --annotate.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelsCsvPath, labelsWriter } from "../../../packages/cli/src/annotate.js";
import { serve, TOKEN_HEADER } from "../../../packages/cli/src/serve.js";

const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-guard-"));
const viewer = path.join(tmp, "dist");
const zarr = path.join(tmp, "cells.zarr");
const secret = path.join(tmp, "secret.txt");

beforeAll(() => {
  mkdirSync(viewer);
  writeFileSync(path.join(viewer, "index.html"), "<!doctype html><title>viewer</title>");
  mkdirSync(path.join(zarr, "obs"), { recursive: true });
  writeFileSync(path.join(zarr, "zarr.json"), '{"zarr_format":3}');
  writeFileSync(secret, "the secret");
  symlinkSync("/etc/passwd", path.join(zarr, "obs", "leak"));
  symlinkSync(secret, path.join(zarr, "obs", "beside"));
  symlinkSync(tmp, path.join(zarr, "up")); // a directory link out: /data/cells.zarr/up/secret.txt
  symlinkSync(path.join(zarr, "zarr.json"), path.join(zarr, "obs", "inside")); // a link that stays inside
  symlinkSync(secret, path.join(viewer, "leak.txt"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A raw HTTP request (fetch cannot set Host). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end(opts.body);
  });
}

describe("view's server and cancelled requests", () => {
  it("closes the file of a response the client cancels (no descriptor left open)", async () => {
    const big = path.join(zarr, "big.bin");
    writeFileSync(big, Buffer.alloc(16 << 20, 7)); // far more than the sockets buffer
    const s = await serve({ dataset: zarr, viewerDir: viewer });
    try {
      const fds = () => readdirSync("/proc/self/fd").length;
      const before = fds();
      for (let i = 0; i < 40; i++) {
        await new Promise<void>((done) => {
          const req = request(`${s.dataUrl}/big.bin`, (res) => {
            res.once("data", () => {
              req.destroy();
              done();
            });
          });
          req.on("error", () => done());
          req.end();
        });
      }
      // the server sees each close within a few turns of the event loop
      await new Promise((r) => setTimeout(r, 300));
      expect(fds()).toBeLessThan(before + 5);
    } finally {
      await s.close();
      rmSync(big);
    }
  });
});

describe("view serves only the dataset and the viewer, to itself", () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve({ dataset: zarr, viewerDir: viewer });
  });
  afterAll(() => s.close());

  it("refuses symlinks out of the dataset and the viewer, follows one that stays inside", async () => {
    for (const p of ["obs/leak", "obs/beside", "up/secret.txt"]) {
      const r = await fetch(`${s.dataUrl}/${p}`);
      expect(r.status, p).toBe(404);
      expect(await r.text()).not.toMatch(/root:|the secret/);
    }
    expect((await fetch(`http://127.0.0.1:${s.port}/leak.txt`)).status).toBe(404);
    expect(await (await fetch(`${s.dataUrl}/obs/inside`)).text()).toBe('{"zarr_format":3}');
  });

  it("answers only requests for 127.0.0.1, localhost or [::1] at its port", async () => {
    const url = `${s.dataUrl}/zarr.json`;
    for (const host of ["evil.example", `evil.example:${s.port}`, "127.0.0.1", `127.0.0.1:${s.port + 1}`, `localhost.evil.example:${s.port}`]) {
      const r = await raw(url, { headers: { Host: host } });
      expect(r.status, host).toBe(421);
      expect(r.body).not.toContain("zarr_format");
    }
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST:${s.port}`, `[::1]:${s.port}`]) {
      const r = await raw(url, { headers: { Host: host } });
      expect(r.status, host).toBe(200);
      expect(r.body).toBe('{"zarr_format":3}');
    }
  });

  it("gives no Access-Control-Allow-Origin to a cross-origin read by default", async () => {
    const r = await fetch(`${s.dataUrl}/zarr.json`, { headers: { Origin: "http://evil.example", Range: "bytes=0-3" } });
    expect(r.status).toBe(206);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await fetch(`${s.dataUrl}/zarr.json`, { method: "OPTIONS", headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "GET" } });
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("without --annotate takes no write at all", async () => {
    const headers = { Origin: `http://127.0.0.1:${s.port}`, "Content-Type": "application/json", [TOKEN_HEADER]: "anything" };
    const body = JSON.stringify({ target: "csv", column: "label", classes: ["a"], cells: [{ cellId: 1, label: 0 }] });
    for (const [method, p] of [
      ["POST", "/api/labels"],
      ["PUT", "/api/labels"],
      ["POST", "/data/cells.zarr/obs/x"],
      ["PUT", "/data/cells.zarr/obs/x"],
      ["DELETE", "/data/cells.zarr/zarr.json"],
      ["PATCH", "/"],
    ]) {
      const r = await fetch(`http://127.0.0.1:${s.port}${p}`, { method, headers, body });
      expect(r.status, `${method} ${p}`).toBe(405);
    }
    expect(readdirSync(tmp).sort()).toEqual(["cells.zarr", "dist", "secret.txt"]);
  });
});

describe("--cors ORIGIN", () => {
  it("allows that origin only", async () => {
    const s = await serve({ dataset: zarr, viewerDir: viewer, cors: "http://localhost:5173" });
    try {
      const ok = await fetch(`${s.dataUrl}/zarr.json`, { headers: { Origin: "http://localhost:5173" } });
      expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      expect(ok.headers.get("access-control-expose-headers")).toContain("Content-Range");
      const pre = await fetch(`${s.dataUrl}/zarr.json`, { method: "OPTIONS", headers: { Origin: "http://localhost:5173", "Access-Control-Request-Headers": "range" } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-headers")).toBe("Range");
      const other = await fetch(`${s.dataUrl}/zarr.json`, { headers: { Origin: "http://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe("--annotate: writes with the token, from the page's own origin, to the dataset's CSV only", () => {
  const token = "t0ken-for-the-test_abcdefghij";
  let s: Awaited<ReturnType<typeof serve>>;
  let origin: string;
  const csv = labelsCsvPath(zarr);
  beforeAll(async () => {
    s = await serve({ dataset: zarr, viewerDir: viewer, annotate: { token, write: labelsWriter(zarr) } });
    origin = `http://127.0.0.1:${s.port}`;
  });
  afterAll(() => s.close());
  const good = { target: "csv", column: "cell_class", classes: ["round", "flat, spread"], cells: [{ cellId: 7, label: 1 }, { cellId: 3, label: 0 }] };
  const post = (body: unknown, headers: Record<string, string> = {}, url = `${origin}/api/labels`) =>
    raw(url, { method: "POST", headers: { Host: new URL(url).host, Origin: origin, "Content-Type": "application/json", [TOKEN_HEADER]: token, ...headers }, body: JSON.stringify(body) });
  const listing = () => readdirSync(tmp).sort();

  it("refuses a missing or wrong token, another origin, no origin, a cross-site fetch", async () => {
    const before = listing();
    const cases: [string, Record<string, string>][] = [
      ["no token", { [TOKEN_HEADER]: "" }],
      ["wrong token", { [TOKEN_HEADER]: `${token.slice(0, -1)}X` }],
      ["longer token", { [TOKEN_HEADER]: `${token}X` }],
      ["another origin", { Origin: "http://evil.example" }],
      ["another port", { Origin: `http://127.0.0.1:${s.port + 1}` }],
      ["null origin", { Origin: "null" }],
      ["cross-site", { "Sec-Fetch-Site": "cross-site" }],
    ];
    for (const [what, h] of cases) {
      const r = await post(good, h);
      expect(r.status, what).toBe(403);
    }
    const noOrigin = await raw(`${origin}/api/labels`, { method: "POST", headers: { "Content-Type": "application/json", [TOKEN_HEADER]: token }, body: JSON.stringify(good) });
    expect(noOrigin.status).toBe(403);
    // a rebinding page: its own name as Host and Origin
    const rebound = await raw(`${origin}/api/labels`, { method: "POST", headers: { Host: `evil.example:${s.port}`, Origin: `http://evil.example:${s.port}`, "Content-Type": "application/json", [TOKEN_HEADER]: token }, body: JSON.stringify(good) });
    expect(rebound.status).toBe(421);
    expect(listing()).toEqual(before);
  });

  it("refuses to write anywhere the request names", async () => {
    const before = listing();
    const bad: [string, unknown][] = [
      ["a path field", { ...good, path: "../../x.csv" }],
      ["a file field", { ...good, file: "/tmp/x.csv" }],
      ["a column with /", { ...good, column: "../../etc/x" }],
      ["a column with ..", { ...good, column: "a..b" }],
      ["another target", { ...good, target: "/etc/passwd" }],
      ["the cellID column", { ...good, target: "obs", column: "scportrait_cell_id" }],
      ["a class out of range", { ...good, cells: [{ cellId: 1, label: 2 }] }],
      ["a cell twice", { ...good, cells: [{ cellId: 1, label: 0 }, { cellId: 1, label: 1 }] }],
      ["two classes of one name", { ...good, classes: ["a", "a"] }],
    ];
    for (const [what, body] of bad) {
      const r = await post(body);
      expect(r.status, `${what}: ${r.body}`).toBe(400);
    }
    expect((await post(good, {}, `${origin}/data/cells.zarr/obs/labels.csv`)).status).toBe(405);
    expect((await post(good, {}, `${origin}/api/labels/../../x`)).status).toBe(405);
    expect((await post(good, { "Content-Type": "text/plain" })).status).toBe(415);
    expect(listing()).toEqual(before);
  });

  it("with the token from its own page: the CSV beside the dataset, as extract --labels reads it", async () => {
    const r = await post(good);
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body).written).toBe(csv);
    expect(path.dirname(csv)).toBe(tmp);
    expect(readFileSync(csv, "utf8")).toBe('cellID,cell_class\n3,round\n7,"flat, spread"\n');
    expect(listing()).toEqual(["cells.zarr", "cells.zarr.labels.csv", "dist", "secret.txt"]);
    // localhost names the same server: its page may write too
    const local = await raw(`${origin}/api/labels`, {
      method: "POST",
      headers: { Host: `localhost:${s.port}`, Origin: `http://localhost:${s.port}`, "Content-Type": "application/json", [TOKEN_HEADER]: token },
      body: JSON.stringify({ ...good, cells: [{ cellId: 3, label: 1 }] }),
    });
    expect(local.status, local.body).toBe(200);
    expect(readFileSync(csv, "utf8")).toBe('cellID,cell_class\n3,"flat, spread"\n');
  });
});

describe("--slide TIFF", () => {
  it("serves that one file by range under /slide/, nothing beside it, no write", async () => {
    const tif = path.join(tmp, "slide.tif");
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 13) % 256);
    writeFileSync(tif, bytes);
    const s = await serve({ dataset: zarr, viewerDir: viewer, slide: tif });
    try {
      expect(s.url).toBe(`http://127.0.0.1:${s.port}/?url=/data/cells.zarr&slide=/slide/slide.tif`);
      const part = await fetch(`http://127.0.0.1:${s.port}/slide/slide.tif`, { headers: { Range: "bytes=10-19" } });
      expect(part.status).toBe(206);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
      for (const p of ["/slide/secret.txt", "/slide/", "/slide/slide.tif/x", "/slide/%2e%2e/secret.txt"]) expect((await fetch(`http://127.0.0.1:${s.port}${p}`)).status, p).toBe(404);
      expect((await fetch(`http://127.0.0.1:${s.port}/slide/slide.tif`, { method: "PUT", body: "x" })).status).toBe(405);
      expect(readFileSync(tif)).toEqual(Buffer.from(bytes));
    } finally {
      await s.close();
      rmSync(tif);
    }
  });
});

describe("--slide DIR.zarr", () => {
  it("serves the files of an OME-Zarr directory under /slide/<name>/, no symlink out of it, no write", async () => {
    const dir = path.join(tmp, "slide.zarr");
    mkdirSync(path.join(dir, "0", "c", "0"), { recursive: true });
    writeFileSync(path.join(dir, "zarr.json"), '{"zarr_format":3,"node_type":"group"}');
    const chunk = Uint8Array.from({ length: 64 }, (_, i) => i);
    writeFileSync(path.join(dir, "0", "c", "0", "0"), chunk);
    symlinkSync(secret, path.join(dir, "0", "leak"));
    symlinkSync(tmp, path.join(dir, "up"));
    symlinkSync(path.join(dir, "zarr.json"), path.join(dir, "0", "inside"));
    const s = await serve({ dataset: zarr, viewerDir: viewer, slide: dir });
    const get = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${s.port}${p}`, init);
    try {
      expect(s.url).toBe(`http://127.0.0.1:${s.port}/?url=/data/cells.zarr&slide=/slide/slide.zarr`);
      expect(await (await get("/slide/slide.zarr/zarr.json")).text()).toContain('"group"');
      const part = await get("/slide/slide.zarr/0/c/0/0", { headers: { Range: "bytes=8-15" } });
      expect(part.status).toBe(206);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(chunk.subarray(8, 16));
      expect(await (await get("/slide/slide.zarr/0/inside")).text()).toContain('"group"');
      for (const p of ["/slide/slide.zarr/0/leak", "/slide/slide.zarr/up/secret.txt", "/slide/slide.zarr/%2e%2e/secret.txt", "/slide/slide.zarr", "/slide/secret.txt", "/slide/slide.zarr/0"]) {
        expect((await get(p)).status, p).toBe(404);
      }
      expect((await get("/slide/slide.zarr/zarr.json", { method: "PUT", body: "x" })).status).toBe(405);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true });
    }
  });
});
