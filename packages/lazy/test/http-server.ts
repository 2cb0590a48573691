// A real static file server on 127.0.0.1 for the remote tests: Range
// support (single ranges, suffix ranges), request and byte counting, and
// switches for the hosts and faults met in the wild: no Range support, no
// Content-Range (what a browser sees of a server on another origin that does
// not expose it), suffix ranges answered with 200, bodies cut off, a cap on
// the requests under way (what a full listen backlog does to the connections
// past it), and a hook that takes over a request (errors, slow or endless
// answers).
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
  /** Body bytes written to the socket. */
  bytes: number;
}

export interface TestServer {
  url: string;
  log: RequestLog[];
  /** When false, Range headers are ignored and whole files are sent with 200. */
  ranges: boolean;
  /** When false, 206 answers carry no Content-Range (as a browser shows a server that does not expose it). */
  contentRange: boolean;
  /** "200": a suffix range (bytes=-N) is answered with 200 and the whole file, as some static hosts do. */
  suffix: "206" | "200";
  /** When set, each body stops after this many bytes and the connection is cut (a truncated answer). */
  truncate: number | null;
  /**
   * When set, a request that comes while this many are under way (not yet
   * answered) waits as a connection past a full listen backlog does for its
   * SYN to be sent again (Python's servers keep a backlog of 5: 6 connections
   * wait): it is taken 1 s later if fewer are under way then, else 2 s
   * after that, then 4 s, 8 s, ...
   */
  maxUnderWay: number | null;
  /** Requests under way now, and the most at once. */
  underWay: number;
  peakUnderWay: number;
  /** Takes over a request before the file is served; returns true when it answered it. */
  intercept: ((req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLog) => boolean) | null;
  /** Back to a well-behaved server (every switch off) with an empty log. */
  reset(): void;
  close(): Promise<void>;
}

export async function serve(root: string): Promise<TestServer> {
  const state: TestServer = {
    url: "",
    log: [],
    ranges: true,
    contentRange: true,
    suffix: "206",
    truncate: null,
    maxUnderWay: null,
    underWay: 0,
    peakUnderWay: 0,
    intercept: null,
    reset() {
      Object.assign(state, { ranges: true, contentRange: true, suffix: "206", truncate: null, intercept: null, maxUnderWay: null, peakUnderWay: 0 });
      state.log.length = 0;
    },
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const entry: RequestLog = { method: req.method ?? "GET", path: urlPath, range: req.headers.range ?? null, status: 0, bytes: 0 };
    state.log.push(entry);
    let gone = false;
    res.on("close", () => {
      gone = true;
    });
    const admit = (wait: number) => {
      if (gone) return; // the client gave up
      if (state.maxUnderWay !== null && state.underWay >= state.maxUnderWay) {
        setTimeout(() => admit(2 * wait), wait);
        return;
      }
      void answer(req, res, entry);
    };
    admit(1000);
  });
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLog) => {
    const file = path.join(root, path.normalize(entry.path).replace(/^(\.\.[/\\])+/, ""));
    state.underWay++;
    state.peakUnderWay = Math.max(state.peakUnderWay, state.underWay);
    let done = false;
    const finished = () => {
      if (!done) state.underWay--;
      done = true;
    };
    res.on("finish", finished);
    res.on("close", finished);
    if (state.intercept?.(req, res, entry)) return;
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) {
      entry.status = 404;
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    let start = 0;
    let end = st.size - 1;
    let m = state.ranges && entry.range ? /^bytes=(\d*)-(\d*)$/.exec(entry.range) : null;
    if (m && m[1] === "" && state.suffix === "200") m = null;
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
        ...(state.contentRange ? { "Content-Range": `bytes ${start}-${end}/${st.size}` } : {}),
        "Content-Length": end - start + 1,
        "Accept-Ranges": "bytes",
      });
    } else {
      entry.status = 200;
      res.writeHead(200, { "Content-Length": st.size, ...(state.ranges ? { "Accept-Ranges": "bytes" } : {}) });
    }
    if (req.method === "HEAD") return res.end();
    const cut = state.truncate;
    const stream = createReadStream(file, { start, end: cut === null ? end : Math.min(end, start + cut - 1) });
    stream.on("data", (chunk) => {
      entry.bytes += chunk.length;
    });
    if (cut !== null && cut < end - start + 1) {
      stream.on("data", (chunk) => void res.write(chunk));
      stream.on("end", () => res.socket?.end()); // flush what was written, then close: the body stops short
    } else {
      stream.pipe(res);
    }
    res.on("close", () => stream.destroy());
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
