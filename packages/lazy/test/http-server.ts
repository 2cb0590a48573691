// A real static file server on 127.0.0.1 for the remote tests: Range
// support (single ranges, suffix ranges), request and byte counting, and
// switches for the bad cases (no Range support).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface RequestLog {
  method: string;
  path: string;
  range: string | null;
  status: number;
  bytes: number;
}

export interface TestServer {
  url: string;
  log: RequestLog[];
  /** When false, Range headers are ignored and whole files are sent with 200. */
  ranges: boolean;
  close(): Promise<void>;
}

export async function serve(root: string): Promise<TestServer> {
  const state: TestServer = { url: "", log: [], ranges: true, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.join(root, path.normalize(urlPath).replace(/^(\.\.[/\\])+/, ""));
    const entry: RequestLog = { method: req.method ?? "GET", path: urlPath, range: req.headers.range ?? null, status: 0, bytes: 0 };
    state.log.push(entry);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) {
      entry.status = 404;
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    let start = 0;
    let end = st.size - 1;
    const m = state.ranges && entry.range ? /^bytes=(\d*)-(\d*)$/.exec(entry.range) : null;
    if (m) {
      if (m[1] === "") {
        start = Math.max(0, st.size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== "") end = Math.min(end, Number(m[2]));
      }
      if (start > end || start >= st.size) {
        entry.status = 416;
        res.writeHead(416, { "Content-Range": `bytes */${st.size}` }).end();
        return;
      }
      entry.status = 206;
      res.writeHead(206, {
        "Content-Range": `bytes ${start}-${end}/${st.size}`,
        "Content-Length": end - start + 1,
        "Accept-Ranges": "bytes",
      });
    } else {
      entry.status = 200;
      res.writeHead(200, { "Content-Length": st.size, ...(state.ranges ? { "Accept-Ranges": "bytes" } : {}) });
    }
    if (req.method === "HEAD") return res.end();
    const stream = createReadStream(file, { start, end });
    stream.on("data", (chunk) => {
      entry.bytes += chunk.length;
    });
    stream.pipe(res);
    res.on("close", () => stream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
