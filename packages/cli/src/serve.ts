// A small static server for `cellfolio view`: the dataset under /data/<name>
// (a file or a .zarr directory) and the built viewer at /, on 127.0.0.1, with
// HTTP Range support (the viewer reads HDF5 files and Zarr shards by range).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";

export interface ServeOptions {
  /** The dataset: a file (.h5sc / .h5ad) or a directory (.zarr). */
  dataset: string;
  /** The built viewer (the cli ships one in dist/viewer). */
  viewerDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
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

export async function serve(options: ServeOptions): Promise<Served> {
  const dataset = path.resolve(options.dataset);
  const viewerDir = path.resolve(options.viewerDir);
  const name = path.basename(dataset);
  const dataIsDir = (await stat(dataset)).isDirectory();
  const host = options.host ?? "127.0.0.1";

  /** The file a URL path names, or null (outside the served roots). */
  const resolve = (urlPath: string): string | null => {
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

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return 0;
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400).end();
      return 0;
    }
    const file = resolve(urlPath);
    const st = file ? await stat(file).catch(() => null) : null;
    if (!file || !st?.isFile()) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return 0;
    }
    const size = st.size;
    const headers: Record<string, string | number> = {
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-cache",
      "Last-Modified": st.mtime.toUTCString(),
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Expose-Headers": "Content-Range, Content-Length, Accept-Ranges",
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
      res.on("close", done);
      s.pipe(res);
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
  const origin = `http://${host}:${port}`;
  const dataPath = `/data/${encodeURIComponent(name)}`;
  return {
    url: `${origin}/?url=${dataPath}`,
    dataUrl: `${origin}${dataPath}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
