// A small static server for `cellfolio view`: the dataset under /data/<name>
// (a file or a .zarr directory), the slide under /slide/<name> (an OME-TIFF
// file or an OME-Zarr directory) and the built viewer at /, on 127.0.0.1, with
// HTTP Range support (the viewer reads HDF5 files and Zarr shards by range).
// Only what is meant to be seen is served: regular files whose real path lies
// inside the dataset, the slide or the viewer (a symlink out of them is not followed),
// to requests naming this server as Host (a DNS-rebinding page names its own),
// with no CORS header unless one origin is allowed by --cors. With --annotate
// the page may save labels (POST /api/labels), with the token the server
// printed and from its own origin only.
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream";
import { checkLabelsRequest, type LabelsRequest, LabelsRequestError } from "./annotate.js";

export interface ServeOptions {
  /** The dataset: a file (.h5sc / .h5ad) or a directory (.zarr). */
  dataset: string;
  /**
   * A path inside the dataset (a directory) that the page opens instead of
   * it: a group of the .zarr (a dataset of an annbatch collection,
   * "dataset_1"), or a reference file served beside the .h5sc it points at.
   */
  open?: string;
  /** The built viewer (the cli ships one in dist/viewer). */
  viewerDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** A slide (an OME-TIFF file or OME-Zarr directory) served read-only at /slide/<name>, and named in the page URL (?slide=). */
  slide?: string;
  /** An origin (e.g. "http://localhost:5173") allowed to read by CORS; none by default. */
  cors?: string;
  /** Labels the page may save (--annotate): the token every write must carry, and the writer. */
  annotate?: { token: string; write(req: LabelsRequest): Promise<unknown> };
  /** Called for every request, after it is answered (tests count them). */
  onRequest?: (req: { method: string; path: string; range?: string; status: number; bytes: number }) => void;
}

export interface Served {
  /** The page that opens the dataset. */
  url: string;
  /** The dataset's own URL. */
  dataUrl: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
};

/** [start, end] (inclusive) of a single `bytes=` range, null if unsatisfiable, undefined if none / not parsable. */
export function parseRange(header: string | undefined, size: number): [number, number] | null | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    // suffix: the last n bytes
    const n = Number(m[2]);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return null;
  return [start, end];
}

/** The header carrying the annotate token. */
export const TOKEN_HEADER = "x-cellfolio-token";
/** The largest labels request taken (a million cells is ~30 MB of JSON). */
const MAX_BODY = 64 * 2 ** 20;

function within(root: string, f: string): boolean {
  return f === root || f.startsWith(root + path.sep);
}

/** The Host header values this server answers to: its loopback names and the bound name, with the port. */
function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(["127.0.0.1", "localhost", "[::1]", host.includes(":") && !host.startsWith("[") ? `[${host}]` : host]);
  return new Set([...names].map((h) => `${h.toLowerCase()}:${port}`));
}

/** Constant-time comparison of the token (no early exit on the first different byte). */
function sameToken(given: string | undefined, token: string): boolean {
  if (typeof given !== "string" || given.length !== token.length) return false;
  let d = 0;
  for (let i = 0; i < token.length; i++) d |= given.charCodeAt(i) ^ token.charCodeAt(i);
  return d === 0;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        req.destroy();
        fail(new LabelsRequestError(`request body over ${MAX_BODY / 2 ** 20} MB`));
      } else parts.push(d);
    });
    req.on("end", () => ok(Buffer.concat(parts).toString("utf8")));
    req.on("error", fail);
  });
}

export async function serve(options: ServeOptions): Promise<Served> {
  const dataset = path.resolve(options.dataset);
  const viewerDir = path.resolve(options.viewerDir);
  const name = path.basename(dataset);
  const dataIsDir = (await stat(dataset)).isDirectory();
  const host = options.host ?? "127.0.0.1";
  // the roots as the file system has them (the dataset or the viewer may themselves be reached by a symlink)
  const realData = await realpath(dataset);
  const realViewer = await realpath(viewerDir);
  const slide = options.slide ? path.resolve(options.slide) : null;
  const realSlide = slide ? await realpath(slide) : null;
  const slideIsDir = slide ? (await stat(slide)).isDirectory() : false;
  const slidePath = slide ? `/slide/${path.basename(slide)}` : null;
  let hosts = new Set<string>();

  /** The file a URL path names, or null (outside the served roots). */
  const resolve = (urlPath: string): string | null => {
    if (slide && slidePath && (urlPath === slidePath || urlPath.startsWith(`${slidePath}/`))) {
      if (!slideIsDir) return urlPath === slidePath ? slide : null;
      const f = path.join(slide, urlPath.slice(slidePath.length));
      return within(slide, f) ? f : null;
    }
    const prefix = `/data/${name}`;
    if (urlPath === prefix || urlPath.startsWith(`${prefix}/`)) {
      const rest = urlPath.slice(prefix.length);
      if (!dataIsDir) return rest === "" ? dataset : null;
      const f = path.join(dataset, rest);
      return f === dataset || f.startsWith(dataset + path.sep) ? f : null;
    }
    const f = path.join(viewerDir, urlPath === "/" ? "index.html" : urlPath);
    return f.startsWith(viewerDir + path.sep) ? f : null;
  };

  /** The real file a resolved path leads to, if it is a regular file inside the root it was asked under. */
  const realFile = async (file: string): Promise<{ file: string; size: number; mtime: Date } | null> => {
    const real = await realpath(file).catch(() => null);
    if (slide && (file === slide || (slideIsDir && within(slide, file)))) {
      // a file of the slide: inside it as the file system has it (a symlink out of an OME-Zarr is not followed)
      const inside = real && realSlide && (slideIsDir ? within(realSlide, real) : real === realSlide);
      const st = inside ? await stat(real as string).catch(() => null) : null;
      return real && st?.isFile() ? { file: real, size: st.size, mtime: st.mtime } : null;
    }
    if (!real || !(within(realData, real) || within(realViewer, real))) return null;
    // a link inside the viewer to a file of the dataset, or back, is not wanted either
    if (within(realData, real) !== (file === dataset || within(dataset, file))) return null;
    const st = await stat(real).catch(() => null);
    return st?.isFile() ? { file: real, size: st.size, mtime: st.mtime } : null;
  };

  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...extra }).end(`${body}\n`);
  };

  /** POST /api/labels: only with --annotate, the token, and from this server's own page. */
  const annotate = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const a = options.annotate;
    if (!a) return text(res, 405, "this server takes no writes (start it with cellfolio view --annotate)", { Allow: "GET, HEAD" });
    const origin = req.headers.origin;
    const site = req.headers["sec-fetch-site"];
    if (origin !== `http://${req.headers.host}` || (site !== undefined && site !== "same-origin")) {
      return text(res, 403, `writes are taken from this server's own page only (Origin ${origin ?? "missing"})`);
    }
    if (!sameToken(req.headers[TOKEN_HEADER] as string | undefined, a.token)) return text(res, 403, `missing or wrong ${TOKEN_HEADER} header (the token cellfolio view --annotate printed)`);
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return text(res, 415, "expected Content-Type: application/json");
    try {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (e) {
        throw e instanceof LabelsRequestError ? e : new LabelsRequestError("the body is not valid JSON");
      }
      const result = await a.write(checkLabelsRequest(body));
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result));
    } catch (e) {
      if (e instanceof LabelsRequestError) return text(res, 400, e.message);
      throw e;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    // DNS rebinding: a page on another site whose name now resolves to 127.0.0.1 still sends its own name
    if (!hosts.has(String(req.headers.host ?? "").toLowerCase())) {
      text(res, 421, `this server answers to ${[...hosts].join(", ")} only`);
      return 0;
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400).end();
      return 0;
    }
    const cors: Record<string, string> =
      options.cors && req.headers.origin === options.cors
        ? { "Access-Control-Allow-Origin": options.cors, "Access-Control-Expose-Headers": "Content-Range, Content-Length, Accept-Ranges", Vary: "Origin" }
        : options.cors
          ? { Vary: "Origin" }
          : {};
    if (urlPath === "/api/labels") {
      if (req.method === "POST") await annotate(req, res);
      else res.writeHead(405, { Allow: options.annotate ? "POST" : "" }).end();
      return 0;
    }
    if (req.method === "OPTIONS" && cors["Access-Control-Allow-Origin"]) {
      res.writeHead(204, { ...cors, "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Allow-Headers": "Range", "Access-Control-Max-Age": "600" }).end();
      return 0;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return 0;
    }
    const asked = resolve(urlPath);
    const found = asked ? await realFile(asked) : null;
    if (!found) {
      text(res, 404, "not found");
      return 0;
    }
    const { file, size } = found;
    const headers: Record<string, string | number> = {
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-cache",
      "Last-Modified": found.mtime.toUTCString(),
      ...cors,
    };
    const range = parseRange(req.headers.range, size);
    if (range === null) {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}` }).end();
      return 0;
    }
    const [start, end] = range ?? [0, size - 1];
    const length = size === 0 ? 0 : end - start + 1;
    res.writeHead(range ? 206 : 200, { ...headers, "Content-Length": length, ...(range ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}) });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return 0;
    }
    await new Promise<void>((done, fail) => {
      const s = createReadStream(file, { start, end });
      s.on("error", fail);
      // pipeline, not pipe: a request the page cancels (scrolling does) closes
      // the file too; with pipe its descriptor stayed open for good.
      pipeline(s, res, () => done());
    });
    return length;
  };

  const server = createServer((req, res) => {
    handle(req, res).then(
      (bytes) => options.onRequest?.({ method: req.method ?? "", path: req.url ?? "", range: req.headers.range, status: res.statusCode, bytes }),
      (err) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`${(err as Error).message}\n`);
      },
    );
  });
  // Chromium opens several connections and keeps them alive; close() ends them.
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : (options.port ?? 0);
  hosts = allowedHosts(host, port);
  const origin = `http://${host}:${port}`;
  const dataPath = `/data/${encodeURIComponent(name)}${options.open ? `/${options.open.split("/").map(encodeURIComponent).join("/")}` : ""}`;
  return {
    url: `${origin}/?url=${dataPath}${slidePath ? `&slide=${encodeURI(slidePath)}` : ""}`,
    dataUrl: `${origin}${dataPath}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
