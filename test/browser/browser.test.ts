// What a browser user installs, tested in a browser: the packed tarballs of
// codecs / hdf5 / format / lazy installed into a fresh folder outside the
// workspace, two pages bundled there by esbuild and by Vite with no aliases,
// shims or plugins, and headless Chromium reading datasets served from another
// origin (CORS + Range), writing datasets into memory, and failing clearly on
// bad servers. Values are checked against Node reading the same files through
// the same installed packages, and against h5py / zarr-python / anndata.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtures } from "../../packages/lazy/test/fixtures.js";
import { hasZarr3, py, pyZarr3, REPO_ROOT, TEST_DATA } from "../../test-utils/oracle.js";
import { DATASETS, expectSameRead, readArgs, truth } from "./datasets.js";
import { BROWSER_PACKAGES, type Bundled, bundlePages, bundlers, CHROMIUM, fromBase64, type Host, installPacked, launch, openPage, staticServer } from "./harness.js";
import { countedRead, failureInPage, openOnly, rawRanges, readDataset, runInPage, throughput, type WriteArgs, workerChunks, writeDataset } from "./scripts.js";

const canRun = existsSync(CHROMIUM) && hasZarr3();
const tmp = mkdtempSync(path.join(tmpdir(), "cellfolio-browser-"));
const DATA = path.join(tmp, "data");

let app: string;
let bundled: Bundled;
let browser: Browser;
/** The installed packages as Node loads them (the "node" export condition, as a user's script gets them). */
let node: { lazy: any; format: any; hdf5: any };
const hosts: Record<string, Host> = {};
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!canRun) return;
  app = installPacked(BROWSER_PACKAGES, bundlers());
  bundled = bundlePages(app);
  writeFileSync(path.join(app, "node-entry.js"), `export * as lazy from "@cellfolio/lazy";\nexport * as format from "@cellfolio/format";\nexport * as hdf5 from "@cellfolio/hdf5";\n`);
  node = await import(pathToFileURL(path.join(app, "node-entry.js")).href);
  makeFixtures(DATA);
  // the real sample, by the built CLI: 228 cells of 5 x 48 x 48 (throughput)
  const s = path.join(TEST_DATA, "sample");
  for (const out of ["sample.h5sc", "sample.zarr"]) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "packages/cli/dist/bin.js"), "extract", "--image", `${s}/image.tif`, "--nucleus", `${s}/nucleus.tif`, "--cytosol", `${s}/cytosol.tif`, "--labels", `${s}/labels.csv`, "--channel-names", "DNA,PH3,cellbody", "--size", "48", "--out", path.join(DATA, out), "--quiet"], { stdio: "pipe" });
  }
  hosts.esbuild = await staticServer(bundled.esbuild);
  hosts.vite = await staticServer(bundled.vite);
  hosts.data = await staticServer(DATA);
  hosts.noCors = await staticServer(DATA, { cors: false });
  hosts.noRange = await staticServer(DATA, { range: "no" });
  browser = await launch();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const h of Object.values(hosts)) await h.close();
  rmSync(tmp, { recursive: true, force: true });
  if (app) rmSync(app, { recursive: true, force: true });
});

describe.skipIf(!canRun)("bundling the installed packages", () => {
  it("esbuild (--bundle --platform=browser --format=esm --splitting): no error, no warning at all", () => {
    expect(bundled.esbuildStatus).toBe(0);
    expect(bundled.esbuildLog).not.toMatch(/error|Could not resolve|externalized/i);
    expect(bundled.esbuildLog.trim()).toBe("");
    for (const f of ["read.js", "write.js"]) expect(existsSync(path.join(bundled.esbuild, f))).toBe(true);
  });

  it("Vite (no plugins, aliases or shims): no error, nothing externalized for browser compatibility", () => {
    expect(bundled.viteStatus, bundled.viteLog).toBe(0);
    expect(bundled.viteLog).toMatch(/built in/);
    expect(bundled.viteLog).not.toMatch(/externalized|Could not resolve|error/i);
    for (const f of ["read.html", "write.html"]) expect(existsSync(path.join(bundled.vite, f))).toBe(true);
  });

  it("neither bundle holds h5wasm or an import of a Node built-in", () => {
    for (const dir of [bundled.esbuild, path.join(bundled.vite, "assets")]) {
      const js = readdirSync(dir).filter((f) => f.endsWith(".js"));
      expect(js.length).toBeGreaterThan(1);
      let bytes = 0;
      for (const f of js) {
        const text = readFileSync(path.join(dir, f), "utf8");
        bytes += text.length;
        // (comments may name it; an import names it as a module specifier)
        expect(text, f).not.toMatch(/["']h5wasm(-plugins)?(\/[^"']*)?["']/);
        expect(text, f).not.toMatch(/\bfrom\s*["'](node:)?(fs|fs\/promises|os|path|url|util|zlib|crypto|worker_threads|module)["']/);
        expect(text, f).not.toMatch(/\brequire\(\s*["'](node:)?(fs|zlib|worker_threads|path|os|crypto)["']\s*\)/);
      }
      console.log(`[bundle] ${path.relative(app, dir)}: ${js.length} JS files, ${(bytes / 1024).toFixed(0)} KB`);
    }
  });

  it("the installed packages are copies from the tarballs, not links into the workspace", () => {
    const real = execFileSync("realpath", [path.join(app, "node_modules/@cellfolio/lazy")], { encoding: "utf8" }).trim();
    expect(real.startsWith(REPO_ROOT)).toBe(false);
    expect(app.startsWith(REPO_ROOT)).toBe(false);
  });
});

for (const bundler of ["esbuild", "vite"] as const) {
  describe.skipIf(!canRun)(`the ${bundler} page reads datasets from another origin`, () => {
    let page: Page;
    beforeAll(async () => {
      page = await openPage(browser, `${hosts[bundler].url}/read.html`, pageErrors);
    });
    afterAll(() => page?.close());

    for (const name of Object.keys(DATASETS)) {
      it(`${name}: cells by cellID and a shuffled batch equal Node's and Python's`, async () => {
        const t = await truth(node.lazy, DATA, name);
        const got = await runInPage(page, readDataset, readArgs(t.node.cellIds, `${hosts.data.url}/${DATASETS[name]}`));
        expectSameRead(got, t, node.format.float16ToFloat32);
        expect(pageErrors).toEqual([]);
      });
    }

    // Bad input: one clear error naming the URL and what the server did, promptly (a hang would show as "timed out").
    const BAD: { what: string; url: () => string; options?: Record<string, unknown>; reason: RegExp }[] = [
      { what: "an .h5sc from a server that sends no CORS headers", url: () => `${hosts.noCors.url}/cells-lzf.h5sc`, reason: /CORS|Access-Control-Allow-Origin|cross-origin/i },
      { what: "a Zarr v2 store from a server that sends no CORS headers", url: () => `${hosts.noCors.url}/cells-v2.zarr`, reason: /CORS|Access-Control-Allow-Origin|cross-origin/i },
      // (a file under maxWholeFileBytes would be read whole and work: this bound makes the test file "large")
      {
        what: "an .h5sc over maxWholeFileBytes from a server without Range support (200 and the whole file)",
        url: () => `${hosts.noRange.url}/cells-lzf.h5sc`,
        options: { maxWholeFileBytes: 1024 },
        reason: /ignores Range requests.*HTTP 200/,
      },
      { what: "an .h5sc that is not there (404)", url: () => `${hosts.data.url}/missing.h5sc`, reason: /404/ },
      // (a Zarr store is keys: the error may say that none of the root metadata keys is there)
      { what: "a Zarr store that is not there (404)", url: () => `${hosts.data.url}/missing.zarr`, reason: /404|not found|no zarr\.json/i },
    ];
    for (const c of BAD) {
      it(`bad input, ${c.what}: openDataset rejects with one clear error naming the URL and the reason`, async () => {
        const url = c.url();
        const r = await failureInPage(page, openOnly, { source: url, options: c.options }, 20_000);
        console.log(`[${bundler}] ${c.what}: ${r.error} (${r.ms.toFixed(0)} ms)`);
        expect(r.error).not.toBeNull();
        expect(r.error).not.toMatch(/timed out/);
        expect(r.error).toContain(url);
        expect(r.error).toMatch(c.reason);
        expect(r.ms).toBeLessThan(10_000);
      });
    }
  });
}

for (const bundler of ["esbuild", "vite"] as const) {
  describe.skipIf(!canRun)(`the ${bundler} page decodes on Web Workers (openDataset's decodeWorkers)`, () => {
    let page: Page;
    beforeAll(async () => {
      page = await openPage(browser, `${hosts[bundler].url}/read.html`, pageErrors);
    });
    afterAll(() => page?.close());

    for (const name of ["h5sc lzf", "h5sc gzip", "zarr v3 sharded"]) {
      it(`${name}: 2 workers read what the page's thread reads (and Node and Python), and they decoded every image chunk`, async () => {
        const t = await truth(node.lazy, DATA, name);
        const args = readArgs(t.node.cellIds, `${hosts.data.url}/${DATASETS[name]}`);
        const here = await runInPage(page, readDataset, { ...args, options: { decodeWorkers: 0 } });
        expect(await runInPage(page, workerChunks, null)).toEqual([]);
        const got = await runInPage(page, readDataset, { ...args, options: { decodeWorkers: 2 } });
        expect(got).toEqual(here);
        expectSameRead(got, t, node.format.float16ToFloat32);
        // 16 cells of 5 chunks (1 x 32 x 32 each): every chunk decoded by a
        // worker, both used; one decoded on the page's thread would be missing
        const rows = [3, 0, 39, 12, 13, 14, 15, 16, 30, 8, 9, 10, 25, 26, 1, 2];
        const counted = await runInPage(page, countedRead, { source: args.source, rows, options: { decodeWorkers: 2 } });
        expect(counted.chunks).toHaveLength(2);
        expect(counted.chunks.every((n) => n > 0), String(counted.chunks)).toBe(true);
        expect(counted.chunks.reduce((a, b) => a + b, 0)).toBe(rows.length * 5);
        expect(counted.data).toBe((await countedRead(node.lazy, { source: path.join(DATA, DATASETS[name]), rows })).data);
        await runInPage(page, openOnly, { source: args.source, options: { decodeWorkers: 0 } });
        expect(await runInPage(page, workerChunks, null)).toEqual([]);
        expect(pageErrors).toEqual([]);
      });
    }

    it("a decode worker that does not load: the read fails naming its URL and the fix, with no fallback to the page's thread", async () => {
      const source = `${hosts.data.url}/${DATASETS["h5sc lzf"]}`;
      const missing = `${hosts[bundler].url}/no-such-worker.js`;
      const r = await failureInPage(page, readDataset, { source, cellIds: [], seed: 1, batchSize: 4, options: { decodeWorkers: 1, decodeWorkerUrl: missing } }, 20_000);
      console.log(`[${bundler}] missing decode worker: ${r.error}`);
      expect(r.error).toContain(missing);
      expect(r.error).toMatch(/decode worker did not load.*decodeWorkerUrl/);
      await runInPage(page, openOnly, { source, options: { decodeWorkers: 0 } });
    });
  });
}

/** What each side wrote, on disk: Zarr keys as files, the HDF5 file as one file. */
function toDisk(files: Record<string, string>, target: string): void {
  for (const [key, b64] of Object.entries(files)) {
    const p = key === "" ? target : path.join(target, key);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, fromBase64(b64));
  }
}

const WRITE: Omit<WriteArgs, "kind"> = { n: 12, channels: ["nucleus_mask", "DNA", "PH3"], size: 16, shard: 4 };

/** The values writeDataset writes, recomputed here. */
function expectedImages(): number[] {
  const { n, size: S } = WRITE;
  const C = WRITE.channels.length;
  const v = new Float32Array(n * C * S * S);
  for (let i = 0; i < v.length; i++) {
    const x = i % S;
    const y = Math.floor(i / S) % S;
    const c = Math.floor(i / (S * S)) % C;
    const cell = Math.floor(i / (S * S * C));
    v[i] = c < 1 ? Number((x - S / 2) ** 2 + (y - S / 2) ** 2 < (S / 3) ** 2) : ((cell * 31 + c * 17 + y * 7 + x * 3) % 251) / 250;
  }
  return Array.from(node.format.float16ToFloat32(node.format.float32ToFloat16(v)));
}

const H5_READ = `
import json, sys, numpy as np, h5py, anndata as ad
inp = json.loads(sys.stdin.read())
out = {}
for p in inp["paths"]:
    with h5py.File(p, "r") as f:
        d = f["obsm/single_cell_images"]
        img = {"dtype": str(d.dtype), "shape": list(d.shape), "chunks": list(d.chunks), "compression": d.compression,
               "values": d[:].astype(np.float32).ravel().tolist()}
    a = ad.read_h5ad(p)
    out[p] = {"h5py": img, "anndata": {
        "n_obs": a.n_obs, "n_vars": a.n_vars, "obs_names": list(a.obs_names),
        "cell_ids": [int(i) for i in a.obs["scportrait_cell_id"]], "cell_id_dtype": str(a.obs["scportrait_cell_id"].dtype),
        "label": [str(v) for v in a.obs["label"]], "label_categories": list(a.obs["label"].cat.categories),
        "score": [float(v) for v in a.obs["score"]], "channels": list(a.var["channels"]),
        "uns": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in a.uns["single_cell_images"].items()},
        "obsm_images_shape": list(a.obsm["single_cell_images"].shape)}}
print(json.dumps(out))
`;

const ZARR3_READ = `
import json, sys, numpy as np, zarr
inp = json.loads(sys.stdin.read())
out = {}
for p in inp["paths"]:
    g = zarr.open_group(p, mode="r", zarr_format=3)
    d = g["obsm/single_cell_images"]
    lab = g["obs/label"]
    out[p] = {"root": dict(g.attrs), "dtype": str(d.dtype), "shape": list(d.shape), "chunks": list(d.chunks),
        "shards": list(d.shards) if d.shards else None, "values": d[:].astype(np.float32).ravel().tolist(),
        "cell_ids": [int(i) for i in g["obs/scportrait_cell_id"][:]], "cell_id_dtype": str(g["obs/scportrait_cell_id"].dtype),
        "codes": [int(c) for c in lab["codes"][:]], "categories": [str(c) for c in lab["categories"][:]],
        "score": [float(v) for v in g["obs/score"][:]], "channels": [str(c) for c in g["var/channels"][:]],
        "obs_names": [str(c) for c in g["obs/_index"][:]], "n_cells": int(g["uns/single_cell_images/n_cells"][()])}
print(json.dumps(out))
`;

for (const bundler of ["esbuild", "vite"] as const) {
  describe.skipIf(!canRun)(`the ${bundler} page writes datasets into memory`, () => {
    let page: Page;
    beforeAll(async () => {
      page = await openPage(browser, `${hosts[bundler].url}/write.html`, pageErrors);
    });
    afterAll(() => page?.close());

    it("an .h5sc into a MemorySink: h5py and anndata 0.8 read it equal to the same file written by Node", async () => {
      const args: WriteArgs = { ...WRITE, kind: "hdf5" };
      const inBrowser = path.join(tmp, `${bundler}-browser.h5sc`);
      const inNode = path.join(tmp, `${bundler}-node.h5sc`);
      const written = (await runInPage(page, writeDataset, args)).files;
      const nodeWritten = (await writeDataset({ ...node.format, MemorySink: node.hdf5.MemorySink }, args)).files;
      toDisk(written, inBrowser);
      toDisk(nodeWritten, inNode);
      // the writer is deterministic: the page's file is Node's, byte for byte
      expect(written[""].length).toBeGreaterThan(1000);
      expect(written[""] === nodeWritten[""]).toBe(true);
      const r = py(H5_READ, { paths: [inBrowser, inNode] });
      const b = r[inBrowser];
      expect(b).toEqual(r[inNode]);
      expect(b.h5py).toMatchObject({ dtype: "float16", shape: [12, 3, 16, 16], chunks: [1, 1, 16, 16], compression: "lzf" });
      expect(b.h5py.values).toEqual(expectedImages());
      expect(b.anndata).toMatchObject({
        n_obs: 12,
        n_vars: 3,
        cell_ids: Array.from({ length: 12 }, (_, i) => 1000 + 7 * i),
        cell_id_dtype: "uint64",
        label: Array.from({ length: 12 }, (_, i) => ["interphase", "mitotic", "unknown"][i % 3]),
        score: Array.from({ length: 12 }, (_, i) => i / 4 - 1),
        channels: WRITE.channels,
        uns: { n_cells: 12, n_channels: 3, n_masks: 1, image_size: 16, channel_names: WRITE.channels },
        obsm_images_shape: [12, 3, 16, 16],
      });
      expect(pageErrors).toEqual([]);
    });

    it("a sharded Zarr v3 store into a MemoryKeySink: zarr-python 3 reads it equal to the same store written by Node", async () => {
      const args: WriteArgs = { ...WRITE, kind: "zarr3" };
      const inBrowser = path.join(tmp, `${bundler}-browser.zarr`);
      const inNode = path.join(tmp, `${bundler}-node.zarr`);
      const written = (await runInPage(page, writeDataset, args)).files;
      toDisk(written, inBrowser);
      const nodeWritten = (await writeDataset({ ...node.format, MemorySink: node.hdf5.MemorySink }, args)).files;
      toDisk(nodeWritten, inNode);
      expect(Object.keys(written).sort()).toEqual(Object.keys(nodeWritten).sort());
      // the writer is deterministic: every key the page wrote is Node's, byte for byte
      expect(Object.keys(written).filter((k) => written[k] !== nodeWritten[k])).toEqual([]);
      const r = pyZarr3(ZARR3_READ, { paths: [inBrowser, inNode] });
      const b = r[inBrowser];
      expect(b).toEqual(r[inNode]);
      expect(b).toMatchObject({
        root: { "encoding-type": "anndata", "encoding-version": "0.1.0" },
        dtype: "float16",
        shape: [12, 3, 16, 16],
        chunks: [1, 1, 16, 16],
        shards: [4, 3, 16, 16],
        cell_ids: Array.from({ length: 12 }, (_, i) => 1000 + 7 * i),
        cell_id_dtype: "uint64",
        codes: Array.from({ length: 12 }, (_, i) => i % 3),
        categories: ["interphase", "mitotic", "unknown"],
        score: Array.from({ length: 12 }, (_, i) => i / 4 - 1),
        channels: WRITE.channels,
        obs_names: Array.from({ length: 12 }, (_, i) => String(i)),
        n_cells: 12,
      });
      expect(b.values).toEqual(expectedImages());
      // three shards of four cells, one file each
      expect(Object.keys(written).filter((k) => k.startsWith("obsm/single_cell_images/c/")).sort()).toEqual(["obsm/single_cell_images/c/0/0/0/0", "obsm/single_cell_images/c/1/0/0/0", "obsm/single_cell_images/c/2/0/0/0"]);
      expect(pageErrors).toEqual([]);
    });
  });
}

describe.skipIf(!canRun)("thumbnails a second in the browser, from a local HTTP server", () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(browser, `${hosts.esbuild.url}/read.html`, pageErrors);
  });
  afterAll(() => page?.close());

  it("baseline: 500 plain range requests of 4.6 KB (a 48 x 48 float16 chunk), 25 at a time, from the same server", async () => {
    const r = await runInPage(page, rawRanges, { url: `${hosts.data.url}/sample.h5sc`, size: statSync(path.join(DATA, "sample.h5sc")).size, n: 500, bytes: 4608, concurrency: 25 }, 120_000);
    expect(r.perSecond).toBeGreaterThan(0);
    console.log(`[browser] baseline: 500 range requests in ${r.ms.toFixed(0)} ms = ${r.perSecond.toFixed(0)} requests/s`);
  });

  for (const file of ["sample.h5sc", "sample.zarr"]) {
    it(`${file} (extracted by the CLI: 228 cells of 5 x 48 x 48, ${file.endsWith(".zarr") ? "Zarr v3 sharded" : "HDF5 lzf"}): 500 cells, 25 a getCells`, async () => {
      const args = { cells: 500, per: 25 };
      const before = hosts.data.log.length;
      const got = await runInPage(page, throughput, { ...args, source: `${hosts.data.url}/${file}` }, 120_000);
      const requests = hosts.data.log.slice(before);
      const preflights = requests.filter((r) => r.method === "OPTIONS").length;
      const want = await throughput(node.lazy, { ...args, source: path.join(DATA, file) });
      const nodeHttp = await throughput(node.lazy, { ...args, source: `${hosts.data.url}/${file}` });
      expect(nodeHttp.checksum).toBe(want.checksum);
      expect(got.cells).toBe(500);
      expect(got.checksum).toBe(want.checksum);
      console.log(`[browser] ${file}: ${got.cells} thumbnails in ${got.ms.toFixed(0)} ms = ${got.perSecond.toFixed(0)} thumbnails/s (Node: ${nodeHttp.perSecond.toFixed(0)}/s from the same server, ${want.perSecond.toFixed(0)}/s from the local file); ${requests.length} requests to the data server, ${preflights} of them CORS preflights`);
    });
  }
});
