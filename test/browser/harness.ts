// What the browser tests of the installed packages share: the packed tarballs
// installed into a fresh folder outside the workspace, two small pages bundled
// there by esbuild and by Vite exactly as a user would (no config beyond the
// page list), static servers on 127.0.0.1 (pages on one origin, datasets on
// others, each server's CORS and Range behaviour chosen), and Debian's
// chromium driven by playwright-core.
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../../test-utils/oracle.js";
import { installTarballs, type PackageName, packAll, tarballsFor } from "../../test-utils/packed.js";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** The packages a browser user installs (the Node-only extract and cli are not part of the pages). */
export const BROWSER_PACKAGES: PackageName[] = ["@cellfolio/codecs", "@cellfolio/hdf5", "@cellfolio/format", "@cellfolio/lazy"];

/** The bundlers at the versions the workspace itself uses (the npm cache has them). */
function workspaceVersion(name: string): string {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/**
 * "What a user installs": the packed tarballs of `packages` (and the
 * @cellfolio packages they need) and `extra` registry packages such as the
 * bundlers, installed with npm into a fresh folder outside the workspace (no
 * workspace links; third-party dependencies from npm's cache or registry).
 * Returns the folder (its package.json is `"type": "module"`).
 */
export function installPacked(packages: PackageName[] = BROWSER_PACKAGES, extra: string[] = []): string {
  const app = mkdtempSync(path.join(tmpdir(), "cellfolio-app-"));
  // the tarballs inside the app folder: removing the app removes them
  const packed = packAll(mkdtempSync(path.join(app, "tarballs-")));
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "cellfolio-user-app", private: true, type: "module" }, null, 2));
  const tgz = [...new Set(packages.flatMap((p) => tarballsFor(packed, p)))];
  installTarballs([...tgz, ...extra], app);
  for (const p of packages) {
    const at = path.join(app, "node_modules", p);
    // a copy, not a link into the workspace
    if (!existsSync(path.join(at, "package.json")) || statSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) throw new Error(`${p} is not installed in ${app}`);
  }
  return app;
}

/** esbuild and Vite at the workspace's versions, for `installPacked`'s `extra`. */
export function bundlers(): string[] {
  return [`esbuild@${workspaceVersion("esbuild")}`, `vite@${workspaceVersion("vite")}`];
}

/** The two pages: one reads through @cellfolio/lazy, one writes through @cellfolio/format and @cellfolio/hdf5. */
const READ_PAGE = `import { batches, decodeWorkerStats, openDataset } from "@cellfolio/lazy";
window.cellfolio = { openDataset, batches, decodeWorkerStats };
document.body.dataset.ready = "read";
`;
const WRITE_PAGE = `import { createStore, createZarr, float32ToFloat16, MemoryKeySink, openStore, writeAnnData } from "@cellfolio/format";
import { MemorySink } from "@cellfolio/hdf5";
window.cellfolio = { createStore, createZarr, float32ToFloat16, MemoryKeySink, MemorySink, openStore, writeAnnData };
document.body.dataset.ready = "write";
`;
const html = (script: string) => `<!doctype html>\n<html><head><meta charset="utf-8"><title>cellfolio</title></head>\n<body><script type="module" src="${script}"></script></body></html>\n`;

export interface Bundled {
  /** Served folders: esbuild's and Vite's output, each with read.html and write.html. */
  esbuild: string;
  vite: string;
  /** Everything each bundler printed (stdout + stderr) and its exit status. */
  esbuildLog: string;
  esbuildStatus: number | null;
  viteLog: string;
  viteStatus: number | null;
}

/** Writes the pages into `app` and bundles them by esbuild (browser, ESM, splitting) and by Vite (no plugins, aliases or shims). */
export function bundlePages(app: string): Bundled {
  mkdirSync(path.join(app, "src"), { recursive: true });
  writeFileSync(path.join(app, "src/read.js"), READ_PAGE);
  writeFileSync(path.join(app, "src/write.js"), WRITE_PAGE);
  // esbuild: the two entries into one folder, shared chunks split out, and
  // the decode Web Worker as an entry beside them (esbuild does not bundle
  // workers by itself; the package README says so)
  const esOut = path.join(app, "out-esbuild");
  const es = spawnSync(
    path.join(app, "node_modules/.bin/esbuild"),
    ["src/read.js", "src/write.js", "decode-worker=@cellfolio/format/decode-worker", "--bundle", "--platform=browser", "--format=esm", "--splitting", `--outdir=${esOut}`, "--log-level=warning"],
    { cwd: app, encoding: "utf8" },
  );
  mkdirSync(esOut, { recursive: true });
  writeFileSync(path.join(esOut, "read.html"), html("./read.js"));
  writeFileSync(path.join(esOut, "write.html"), html("./write.js"));
  // Vite: two HTML pages; the config names them and nothing else
  writeFileSync(path.join(app, "read.html"), html("/src/read.js"));
  writeFileSync(path.join(app, "write.html"), html("/src/write.js"));
  writeFileSync(path.join(app, "vite.config.js"), `export default { build: { outDir: "out-vite", rollupOptions: { input: ["read.html", "write.html"] } } };\n`);
  const vite = spawnSync(path.join(app, "node_modules/.bin/vite"), ["build"], { cwd: app, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
  return {
    esbuild: esOut,
    vite: path.join(app, "out-vite"),
    esbuildLog: `${es.stdout}${es.stderr}`,
    esbuildStatus: es.status,
    viteLog: `${vite.stdout}${vite.stderr}`,
    viteStatus: vite.status,
  };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** How a static server behaves. */
export interface HostOptions {
  /** Send Access-Control-Allow-Origin (and answer preflights): default true. */
  cors?: boolean;
  /** List Content-Range / Content-Length in Access-Control-Expose-Headers: default true (http-server's default is not to). */
  exposeHeaders?: boolean;
  /** "yes": 206 for ranges; "no": ignore Range, 200 and the whole file; "suffix-200": 200 and the whole file for `bytes=-N` only. */
  range?: "yes" | "no" | "suffix-200";
}

export interface Logged {
  method: string;
  path: string;
  range?: string;
  status: number;
}

export interface Host {
  url: string;
  port: number;
  log: Logged[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json", ".map": "application/json", ".css": "text/css" };

/**
 * A static file server on 127.0.0.1 (a free port) for `root`. Datasets are
 * sent with `Cache-Control: no-store`, so the browser's cache does not stand
 * in for the network in timings.
 */
export function staticServer(root: string, options: HostOptions = {}): Promise<Host> {
  const cors = options.cors ?? true;
  const expose = options.exposeHeaders ?? true;
  const rangeMode = options.range ?? "yes";
  const log: Logged[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const range = req.headers.range;
    const done = (status: number) => log.push({ method: req.method ?? "", path: rel, range, status });
    if (cors) {
      res.setHeader("Access-Control-Allow-Origin", "*");
      if (expose) res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length");
    }
    if (req.method === "OPTIONS") {
      if (cors) {
        res.setHeader("Access-Control-Allow-Headers", "Range");
        res.setHeader("Access-Control-Allow-Methods", "GET, HEAD");
      }
      res.writeHead(204).end();
      return done(204);
    }
    const file = path.join(root, rel);
    const st = file.startsWith(root) && existsSync(file) ? statSync(file) : null;
    if (!st?.isFile()) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return done(404);
    }
    res.setHeader("Content-Type", TYPES[path.extname(file)] ?? "application/octet-stream");
    res.setHeader("Cache-Control", "no-store");
    const size = st.size;
    const m = range && /^bytes=(\d*)-(\d*)$/.exec(range);
    const ignore = rangeMode === "no" || (rangeMode === "suffix-200" && m && m[1] === "");
    if (rangeMode !== "no") res.setHeader("Accept-Ranges", "bytes");
    if (m && !ignore) {
      let start: number;
      let end: number;
      if (m[1] === "") {
        start = Math.max(0, size - Number(m[2]));
        end = size - 1;
      } else {
        start = Number(m[1]);
        end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
      }
      if (start >= size || end < start) {
        res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
        return done(416);
      }
      res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": String(end - start + 1) });
      if (req.method === "HEAD") res.end();
      else createReadStream(file, { start, end }).pipe(res);
      return done(206);
    }
    res.writeHead(200, { "Content-Length": String(size) });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return done(200);
  };
  const server: Server = createServer(handle);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        log,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Opens `url` and waits for the page's module to have run (its body's data-ready). */
export async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("body[data-ready]", { state: "attached", timeout: 20_000 });
  return page;
}

/** base64 -> bytes (pages hand bytes back as base64: a plain array is slow to pass). */
export function fromBase64(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}
