#!/usr/bin/env node
// Thumbnails a second in headless Chromium, with and without the decode Web
// Workers (openDataset's decodeWorkers): an .h5sc (lzf, chunks (1, 1, S, S)
// as scPortrait writes) and sharded Zarr v3 stores (a cell an inner chunk, as
// extract writes; blosc-lz4, extract's default, and zstd, zarr-python 3's,
// which browsers decode in JavaScript), served from 127.0.0.1 with CORS and Range
// to a page on another origin. Two ways of reading 64 cells at a time:
//   grid:  64 neighbouring rows in one block read, as the viewer's grid does
//   cells: getCells of 64 random rows, chunk cache off
//
//   npm run build
//   node bench/browser-thumbnails.mjs
//
// Env: THUMBS_CELLS (cells in the datasets, 2000), THUMBS_READS (cells read a
// run, 2000), THUMBS_PER (64), THUMBS_SIZE (64), THUMBS_WORKERS ("1,2"),
// THUMBS_ROUNDS (3, medians reported), THUMBS_DATASETS (h5,lz4,zstd),
// CHROMIUM (/usr/bin/chromium),
// THUMBS_DIR (datasets kept there when set).
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { createStore, float32ToFloat16, writeAnnData } from "../packages/format/dist/node.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = (k, d) => Number(process.env[k] ?? d);
const N = env("THUMBS_CELLS", 2000);
const READS = env("THUMBS_READS", 2000);
const PER = env("THUMBS_PER", 64);
const S = env("THUMBS_SIZE", 64);
const ROUNDS = env("THUMBS_ROUNDS", 3);
const WORKERS = (process.env.THUMBS_WORKERS ?? "1,2").split(",").map(Number);
const DATASETS = (process.env.THUMBS_DATASETS ?? "h5,lz4,zstd").split(",");
const C = 5;
const keep = Boolean(process.env.THUMBS_DIR);
const dir = process.env.THUMBS_DIR ?? mkdtempSync(path.join(tmpdir(), "thumbs-bench-"));
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
console.log(`start: ${uptime()}`);

/** Cells that look like extracted ones: two masks (discs) and three smooth stains with noise, as float16. */
function images() {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const v = new Float32Array(N * C * S * S);
  for (let cell = 0; cell < N; cell++) {
    const cy = S / 2 + (rand() - 0.5) * 6;
    const cx = S / 2 + (rand() - 0.5) * 6;
    const rn = S * (0.15 + rand() * 0.1);
    const rc = rn * (1.5 + rand() * 0.5);
    const gains = [rand(), rand(), rand()];
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const d2 = (y - cy) ** 2 + (x - cx) ** 2;
        const at = (c) => ((cell * C + c) * S + y) * S + x;
        const inCell = d2 < rc * rc;
        v[at(0)] = d2 < rn * rn ? 1 : 0;
        v[at(1)] = inCell ? 1 : 0;
        for (let k = 0; k < 3; k++) {
          const blob = Math.exp(-d2 / (2 * (k === 0 ? rn : rc) ** 2));
          // masked outside the cell, as extract leaves it; 8-bit-like steps
          v[at(2 + k)] = inCell ? Math.round((gains[k] * blob + 0.05 * rand()) * 255) / 255 : 0;
        }
      }
    }
  }
  return float32ToFloat16(v);
}

async function write(file, zarr, compression) {
  const w = await createStore(file, { zarrFormat: 3, overwrite: true });
  const channels = ["nucleus_mask", "cytosol_mask", "DNA", "PH3", "CellBody"];
  await writeAnnData(w, {
    obs: {
      kind: "dataframe",
      index: Array.from({ length: N }, (_, i) => String(i)),
      indexName: "_index",
      columnOrder: ["scportrait_cell_id"],
      columns: { scportrait_cell_id: { dtype: "uint64", shape: [N], data: BigUint64Array.from({ length: N }, (_, i) => BigInt(i + 1)) } },
    },
    var: { kind: "dataframe", index: channels.map(String), indexName: "_index", columnOrder: ["channels"], columns: { channels: { dtype: "string", shape: [C], data: channels } } },
    layers: {},
    obsm: {},
    varm: {},
    obsp: {},
    varp: {},
    uns: {},
  });
  const a = await w.createArray("obsm/single_cell_images", {
    shape: [N, C, S, S],
    dtype: "float16",
    ...(zarr ? { chunks: [1, C, S, S], shards: [512, C, S, S], compression } : { chunks: [1, 1, S, S], compression: { codec: "lzf" } }),
    attrs: { "encoding-type": "array", "encoding-version": "0.2.0" },
  });
  await a.setBlock([0, 0, 0, 0], { dtype: "float16", shape: [N, C, S, S], data: images() });
  await a.close();
  await w.close();
}

const data = path.join(dir, `n${N}-s${S}`);
const all = {
  h5: ["h5sc lzf", "cells.h5sc", false, undefined],
  lz4: ["zarr v3 sharded blosc-lz4", "cells.zarr", true, undefined],
  zstd: ["zarr v3 sharded zstd", "cells-zstd.zarr", true, { codec: "zstd" }],
};
const files = {};
for (const key of DATASETS) {
  const [name, file, zarr, compression] = all[key];
  files[name] = file;
  if (existsSync(path.join(data, file))) continue;
  mkdirSync(data, { recursive: true });
  await write(path.join(data, file), zarr, compression);
  console.log(`made ${name}: ${N} cells of ${C} x ${S} x ${S} float16 in ${data}`);
}

// The page, bundled by esbuild, with the decode worker as an entry beside it.
const site = path.join(dir, "site");
mkdirSync(site, { recursive: true });
writeFileSync(
  path.join(dir, "page.js"),
  `import { openDataset, decodeWorkerStats } from "@cellfolio/lazy";\nimport { float16ToFloat32 } from "@cellfolio/format";\nwindow.cellfolio = { openDataset, decodeWorkerStats, float16ToFloat32 };\ndocument.body.dataset.ready = "1";\n`,
);
await build({
  entryPoints: { page: path.join(dir, "page.js"), "decode-worker": path.join(repo, "packages/format/dist/decode-worker.js") },
  nodePaths: [path.join(repo, "node_modules")],
  bundle: true,
  platform: "browser",
  format: "esm",
  splitting: true,
  outdir: site,
  // (not "warning": the workspace's dist is not under node_modules, so esbuild
  // warns of the bare chunk imports tsup writes, which an installed package does not show)
  logLevel: "error",
});
writeFileSync(path.join(site, "index.html"), `<!doctype html><html><body><script type="module" src="./page.js"></script></body></html>\n`);

/** A static server on 127.0.0.1: Range, CORS, no caching. */
function serve(root) {
  const server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length");
    if (req.method === "OPTIONS") {
      res.setHeader("Access-Control-Allow-Headers", "Range");
      return res.writeHead(204).end();
    }
    const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    const st = file.startsWith(root) && existsSync(file) ? statSync(file) : null;
    if (!st?.isFile()) return res.writeHead(404).end();
    res.setHeader("Content-Type", file.endsWith(".js") ? "text/javascript" : file.endsWith(".html") ? "text/html" : "application/octet-stream");
    res.setHeader("Cache-Control", "no-store");
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (!m) {
      res.writeHead(200, { "Content-Length": st.size });
      return createReadStream(file).pipe(res);
    }
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), st.size - 1) : st.size - 1;
    res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${st.size}`, "Content-Length": end - start + 1 });
    createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

/** In the page: `reads` cells, `per` at a time, after an untimed warm-up; thumbnails a second and the workers' chunks. */
async function thumbnails(cf, a) {
  const ds = await cf.openDataset(a.source, { eager: false, concurrency: 16, decodeWorkers: a.workers });
  await ds.loadIndex();
  const [n, C, S] = ds.shape;
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const read = async (k, at) => {
    if (a.mode === "grid") {
      const r0 = at % (n - k);
      const b = await ds.store.readBlock(ds.imagesPath, [r0, 0, 0, 0], [k, C, S, S]);
      return cf.float16ToFloat32(b.data);
    }
    return (await ds.getCells(Array.from({ length: k }, () => Math.floor(rand() * n)), { cache: false })).data;
  };
  for (let i = 0; i < 256; i += a.per) await read(a.per, n - 256 + i);
  const before = cf.decodeWorkerStats()?.chunks ?? [];
  let sum = 0;
  const t0 = performance.now();
  for (let done = 0; done < a.reads; done += a.per) {
    const v = await read(Math.min(a.per, a.reads - done), done);
    for (let i = 0; i < v.length; i += 1009) sum += v[i];
  }
  const ms = performance.now() - t0;
  const after = cf.decodeWorkerStats()?.chunks ?? [];
  await ds.close();
  return { perSecond: (a.reads / ms) * 1000, chunks: after.map((c, i) => c - (before[i] ?? 0)), sum };
}

const pages = await serve(site);
const host = await serve(data);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.url}/index.html`);
  await page.waitForSelector("body[data-ready]", { state: "attached" });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  console.log(`${READS} thumbnails (${C} x ${S} x ${S} float16) of ${N} cells, ${PER} at a time; median of ${ROUNDS} rounds; navigator.hardwareConcurrency ${cores}`);
  const run = (args) =>
    page.evaluate(([src, a]) => new Function("cf", "a", `return (${src})(cf, a);`)(window.cellfolio, a), [thumbnails.toString(), args]);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, file] of Object.entries(files)) {
    for (const mode of ["grid", "cells"]) {
      const counts = [0, ...WORKERS];
      const rates = new Map(counts.map((w) => [w, []]));
      const chunks = new Map();
      const sums = new Set();
      for (let r = 0; r < ROUNDS; r++) {
        for (const workers of counts) {
          const got = await run({ source: `${host.url}/${file}`, workers, mode, per: PER, reads: READS });
          rates.get(workers).push(got.perSecond);
          chunks.set(workers, got.chunks);
          sums.add(got.sum);
        }
      }
      if (sums.size > 1) throw new Error(`${name} ${mode}: the reads with and without workers differ`);
      const base = median(rates.get(0));
      const line = counts.map((w) => {
        const v = median(rates.get(w));
        return w === 0 ? `page thread ${v.toFixed(0)}/s` : `${w} worker${w > 1 ? "s" : ""} ${v.toFixed(0)}/s (x${(v / base).toFixed(2)}; chunks by worker ${chunks.get(w).join("+")})`;
      });
      console.log(`${name.padEnd(26)} ${mode.padEnd(5)}  ${line.join("  ")}`);
    }
  }
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
} finally {
  await browser.close();
  for (const s of [pages.server, host.server]) {
    s.closeAllConnections();
    s.close();
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
console.log(`end: ${uptime()}`);
