// The one HTTP client every remote read goes through (an HDF5 file, the keys
// of a Zarr store, a zip, the lazy reader's first check), so that each rule is
// written once:
// - time limits: the answer's headers within `timeoutMs` (connect and first
//   byte), then the body must keep coming: at least `minBytesPerSecond` over
//   every `idleTimeoutMs` window (a stalled or trickling body is aborted);
// - bounds: a body is streamed and never read past what was asked (a range's
//   length, a whole file's bound): an endless body costs no memory;
// - retries with backoff for 408 / 429 / 500 / 502 / 503 / 504, connection
//   resets, bodies cut off and requests with no answer in time (these GETs
//   and HEADs are idempotent), honouring Retry-After up to a cap;
// - requests in flight to one origin, shared by every client: for http: a
//   window that opens at 6 (what browsers keep to over HTTP/1.1), grows
//   while the server answers promptly and is cut when a request goes
//   unanswered for 1 s (past a full listen backlog); a `concurrency` given
//   is a fixed limit;
// - static hosts: a 200 answer to a range request (the server ignores Range)
//   is used when the whole file is small, and kept for the later ranges of
//   that URL; a larger one is refused with its body cancelled; a 200 to a
//   suffix range falls back to HEAD + explicit range where explicit ranges
//   are served;
// - every error names the URL and what the server did; a request that fails
//   with no answer names CORS (a browser gives no other reason).
// Only fetch: no Node built-in (this module runs in browsers).
import { Limiter } from "./concurrency.js";
import { SourceError } from "./source-error.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /**
   * The client to send the requests through, with its own options (default:
   * a new one from these): one shared by the readers of one file keeps its
   * whole file, downloaded once, when the server ignores Range.
   */
  client?: HttpClient;
  /** The fetch to use (default: the global fetch). */
  fetch?: FetchLike;
  /** Extra fetch options (headers, credentials, an AbortSignal). */
  fetchInit?: RequestInit;
  /** Longest wait for an answer's headers (connect and first byte), in ms; default 30 000. */
  timeoutMs?: number;
  /**
   * The body must keep arriving: in every window of this many ms, at least
   * `minBytesPerSecond` x the window's seconds, else the request is aborted;
   * default 30 000 (nothing for 30 s, or a trickle, is a stalled server).
   */
  idleTimeoutMs?: number;
  /** The slowest body accepted, averaged over each idle window; default 1024 bytes/s. */
  minBytesPerSecond?: number;
  /**
   * Tries per request for 408 / 429 / 5xx answers, connection resets,
   * cut-off bodies and no answer within timeoutMs; default 3.
   */
  attempts?: number;
  /** Wait before the second try, doubled for each next one (plus up to 20% jitter); default 250 ms. */
  retryDelayMs?: number;
  /** Longest wait between tries, also for a server's Retry-After; default 10 000 ms. */
  maxRetryDelayMs?: number;
  /**
   * The largest whole file used when a server answers a range request with
   * 200 and the whole file (it ignores Range); a larger one is refused and
   * its body cancelled. Default 8 MiB.
   */
  maxWholeFileBytes?: number;
  /**
   * Whole files of that kind kept for later ranges of the same URL (a Zarr
   * store's shards), up to this many bytes in all, least recently used
   * dropped first; the last one is always kept. Default 64 MiB.
   */
  wholeFileCacheBytes?: number;
  /** The largest body of a plain GET (a whole Zarr key: metadata, a chunk, a shard); default 256 MiB. */
  maxBodyBytes?: number;
  /**
   * Requests in flight at once to one origin (scheme, host and port), shared
   * by every client with the same value; the others wait their turn (their
   * time limits start when they are sent). Default for http: URLs: 6 at
   * first, raised by one with each prompt answer while requests wait, up to
   * 64, and halved (not below 6, nor raised past that again) when a request
   * has no answer after 1 s; for https: 64 (HTTP_CONCURRENCY).
   */
  concurrency?: number;
}

/** The defaults of HttpOptions. */
export const HTTP_DEFAULTS = {
  timeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  minBytesPerSecond: 1024,
  attempts: 3,
  retryDelayMs: 250,
  maxRetryDelayMs: 10_000,
  maxWholeFileBytes: 8 * 1024 * 1024,
  wholeFileCacheBytes: 64 * 1024 * 1024,
  maxBodyBytes: 256 * 1024 * 1024,
} as const;

/**
 * The default `concurrency`. http: starts at 6, what browsers open to one
 * host over HTTP/1.1: `python -m http.server` keeps a listen backlog of 5,
 * and connections past it wait for their SYN to be sent again (1 s, 3 s,
 * 7 s, ...): 64 at once failed a training pass with no answer in 30 s. A
 * server that keeps up gets up to `max` (held at 6, a keep-alive Python
 * server whose answers Nagle's algorithm delays ~40 ms took 3.5 x as long
 * as with 64). https: `max`: mostly object stores and CDNs, which take many
 * connections (and browsers multiplex HTTP/2 there).
 */
export const HTTP_CONCURRENCY = { "http:": 6, max: 64 } as const;

/**
 * A request with no answer after this long was sent past what the server
 * takes at once: a connection past a full listen backlog waits for its SYN
 * to be resent, 1 s later (RFC 6298's initial timeout), while a static
 * server near by answers in milliseconds.
 */
const STALL_MS = 1000;
/** The window stops growing while a request waits longer than this (or 4 x the quickest answer) for its answer. */
const LATE_MS = 50;

const OPTION_KEYS = [
  "client",
  "fetch",
  "fetchInit",
  "timeoutMs",
  "idleTimeoutMs",
  "minBytesPerSecond",
  "attempts",
  "retryDelayMs",
  "maxRetryDelayMs",
  "maxWholeFileBytes",
  "wholeFileCacheBytes",
  "maxBodyBytes",
  "concurrency",
] as const satisfies readonly (keyof HttpOptions)[];

/** The HttpOptions among wider options (openDataset's, openStore's), to pass them down. */
export function pickHttpOptions(options: HttpOptions | undefined): HttpOptions {
  const out: Record<string, unknown> = {};
  if (options) for (const k of OPTION_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return out as HttpOptions;
}

/** What a browser needs from a server on another origin, for messages. */
export const CORS_REQUIREMENTS =
  "Access-Control-Allow-Origin (the page's origin or *), Range in Access-Control-Allow-Headers (its answer to the preflight OPTIONS request) and Access-Control-Expose-Headers: Content-Range, Content-Length";

/** An HTTP read that failed: the message names the URL and what the server did. */
export class HttpError extends SourceError {
  /** Whether another try may succeed (a 503, a reset); read by the retry loop. */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly url: string,
    problem: string,
    options: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(url, problem, { cause: options.cause, code: "http" });
    this.name = "HttpError";
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
  readonly status: number | undefined;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Error codes of a connection that broke (Node's fetch puts them on the cause); worth another try. */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const SMALL = 64 * 1024;

export interface RangeAnswer {
  /** The bytes asked for; fewer when the file ends first. The caller's own (never a view of a kept whole file). */
  bytes: Uint8Array;
  /** The file's size when the answer told it (a visible Content-Range, or a whole file). */
  size?: number;
}

export interface ReadOptions {
  /** Give undefined for a missing file (404, and 403 as object stores answer for a key that is not there) instead of an error. */
  missingOk?: boolean;
}

/** One request under way: its abort controller, the caller's signal forwarded to it, and why it was aborted. */
interface Exchange {
  ctl: AbortController;
  /** Set when we aborted (a time limit), for the message. */
  why?: string;
  dispose(): void;
}

export class HttpClient {
  /** Requests sent (each try counts). */
  requests = 0;
  /** Body bytes received. */
  bytesReceived = 0;
  private readonly o: Required<Omit<HttpOptions, "client" | "fetch" | "fetchInit" | "concurrency">>;
  private readonly fetchFn: FetchLike;
  /** Set once the server answered a suffix range with 200: later suffix reads go HEAD + explicit range (where explicit ranges are served). */
  private suffixIgnored = false;
  /** What the server did with an explicit range: "served" (206) or "ignored" (200, the whole file); unknown before. */
  private ranges: "served" | "ignored" | undefined;
  /** Whole files the server sent for range requests, by URL, least recently used first; `keptBytes` in all. */
  private readonly kept = new Map<string, Uint8Array>();
  private keptBytes = 0;

  constructor(readonly options: HttpOptions = {}) {
    const o = { ...HTTP_DEFAULTS } as Required<Omit<HttpOptions, "client" | "fetch" | "fetchInit" | "concurrency">>;
    for (const k of Object.keys(HTTP_DEFAULTS) as (keyof typeof HTTP_DEFAULTS)[]) {
      const v = options[k];
      if (v !== undefined) {
        if (typeof v !== "number" || !(v >= 0)) throw new RangeError(`HTTP option ${k} must be a number >= 0, got ${String(v)}`);
        (o as Record<string, number>)[k] = v;
      }
    }
    const c = options.concurrency;
    if (c !== undefined && !(Number.isInteger(c) && c >= 1)) throw new RangeError(`HTTP option concurrency must be an integer >= 1, got ${String(c)}`);
    o.attempts = Math.max(1, Math.floor(o.attempts));
    this.o = o;
    this.fetchFn = options.fetch ?? ((u, i) => fetch(u, i));
  }

  /** The client `options.client` names, or a new one from `options`: every reader made from HttpOptions gets its client here. */
  static for(options: HttpOptions = {}): HttpClient {
    return options.client ?? new HttpClient(options);
  }

  /** The whole file of `url` if one is kept (marked as used last). */
  private keptFile(url: string): Uint8Array | undefined {
    const w = this.kept.get(url);
    if (w) {
      this.kept.delete(url);
      this.kept.set(url, w);
    }
    return w;
  }

  /** Keeps a whole file the server sent for a range request: its other ranges will be asked for too. */
  private keep(url: string, whole: Uint8Array): void {
    const old = this.kept.get(url);
    if (old) {
      this.kept.delete(url);
      this.keptBytes -= old.length;
    }
    // the budget holds at least one file of the largest size read whole
    const budget = Math.max(this.o.wholeFileCacheBytes, this.o.maxWholeFileBytes);
    for (const [k, w] of this.kept) {
      if (this.keptBytes + whole.length <= budget) break;
      this.kept.delete(k);
      this.keptBytes -= w.length;
    }
    this.kept.set(url, whole);
    this.keptBytes += whole.length;
  }

  /** A whole resource; undefined when it is missing and `missingOk`. At most maxBodyBytes. */
  get(url: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const w = this.keptFile(url);
    if (w) return Promise.resolve(w.slice());
    return this.exchange(url, "GET", undefined, async (res, ex) => {
      if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
      if (!res.ok) throw statusError(url, res, undefined);
      const max = this.o.maxBodyBytes;
      const cl = contentLength(res);
      if (cl !== undefined && cl > max) {
        await cancel(res, ex);
        throw new HttpError(url, `the answer is ${bytes(cl)}, more than the ${bytes(max)} read whole (option maxBodyBytes)`, { status: res.status });
      }
      return this.readBody(url, res, ex, {
        max,
        expected: cl,
        over: (n) => `the server sent more than ${bytes(max)} (option maxBodyBytes); stopped reading after ${n} bytes`,
      });
    });
  }

  /** Content-Length of a HEAD (the file size); undefined when missing and `missingOk`. */
  head(url: string, opts: ReadOptions = {}): Promise<{ size?: number } | undefined> {
    return this.exchange(url, "HEAD", undefined, async (res) => {
      if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
      if (!res.ok) throw statusError(url, res, undefined, "HEAD");
      return cancelled(res, { size: contentLength(res) });
    });
  }

  /**
   * `length` bytes at `offset` (fewer when the file ends first). A 200 with the
   * whole file is used when it is within maxWholeFileBytes, else refused.
   */
  range(url: string, offset: number, length: number, opts: ReadOptions = {}): Promise<RangeAnswer | undefined> {
    if (length <= 0) return Promise.resolve({ bytes: new Uint8Array(0) });
    const w = this.keptFile(url);
    if (w) return Promise.resolve({ bytes: w.slice(offset, offset + length), size: w.length });
    const spec = `bytes=${offset}-${offset + length - 1}`;
    return this.exchange(url, "GET", spec, async (res, ex) => {
      if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
      if (res.status === 206) {
        this.ranges = "served";
        const cr = contentRange(res);
        if (cr && cr.start !== offset) {
          await cancel(res, ex);
          throw new HttpError(url, `asked for Range: ${spec}, the server answered with bytes ${cr.start}-${cr.end}`, { status: 206 });
        }
        const cl = contentLength(res);
        const data = await this.readBody(url, res, ex, {
          max: length,
          expected: cl === undefined ? length : Math.min(cl, length),
          over: (n) => `the server sent more than the ${length} bytes asked for (Range: ${spec}); stopped reading after ${n} bytes`,
        });
        return { bytes: data, size: cr?.size };
      }
      if (res.status === 200) {
        this.ranges = "ignored";
        const whole = await this.wholeFile(url, res, ex, spec);
        this.keep(url, whole);
        return { bytes: whole.slice(offset, offset + length), size: whole.length };
      }
      throw statusError(url, res, spec);
    });
  }

  /**
   * The last `length` bytes (fewer when the file is shorter): a suffix range.
   * When the server answers it with 200 (some static hosts do), the whole
   * file is read and kept if it is within maxWholeFileBytes, unless the
   * server serves explicit ranges and the file is not small; else HEAD for
   * the size and an explicit range. The answer to that tells whether the
   * server ignores Range altogether: then later suffix requests get the
   * whole files (one request each, kept).
   */
  async suffix(url: string, length: number, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    if (length <= 0) return new Uint8Array(0);
    const w = this.keptFile(url);
    if (w) return w.slice(Math.max(0, w.length - length));
    if (!this.suffixIgnored || this.ranges === "ignored") {
      const spec = `bytes=-${length}`;
      const got = await this.exchange(url, "GET", spec, async (res, ex): Promise<{ bytes?: Uint8Array } | null | undefined> => {
        if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
        if (res.status === 206) {
          this.ranges = "served";
          const cl = contentLength(res);
          return {
            bytes: await this.readBody(url, res, ex, {
              max: length,
              expected: cl === undefined ? length : Math.min(cl, length),
              over: (n) => `the server sent more than the ${length} bytes asked for (Range: ${spec}); stopped reading after ${n} bytes`,
            }),
          };
        }
        if (res.status === 200) {
          this.suffixIgnored = true;
          const cl = contentLength(res);
          if (cl !== undefined && cl <= this.o.maxWholeFileBytes && (this.ranges !== "served" || cl <= Math.max(SMALL, 4 * length))) {
            const whole = await this.wholeFile(url, res, ex, spec);
            this.keep(url, whole);
            return { bytes: whole.slice(Math.max(0, whole.length - length)) };
          }
          await cancel(res, ex);
          return null; // HEAD + explicit range below
        }
        throw statusError(url, res, spec);
      });
      if (got === undefined) return undefined;
      if (got) return got.bytes;
    }
    const h = await this.head(url, opts);
    if (!h) return undefined;
    if (h.size === undefined) {
      throw new HttpError(
        url,
        `the server answers a suffix range (Range: bytes=-${length}) with HTTP 200 and the whole file, and its HEAD gives no Content-Length: cannot find the end of the file without downloading it (from another origin, a browser sees Content-Length only when the server sends ${CORS_REQUIREMENTS})`,
      );
    }
    const start = Math.max(0, h.size - length);
    return (await this.range(url, start, h.size - start, opts))?.bytes;
  }

  /** The body of a 200 answer to a range request: the whole file, within maxWholeFileBytes. */
  private async wholeFile(url: string, res: Response, ex: Exchange, spec: string): Promise<Uint8Array> {
    const max = this.o.maxWholeFileBytes;
    const cl = contentLength(res);
    const did = `the server ignores Range requests: it answered "Range: ${spec}" with HTTP 200 and the whole file`;
    const advice = `files over ${bytes(max)} are not downloaded whole (option maxWholeFileBytes); serve the file from a server that supports Range requests`;
    if (cl !== undefined && cl > max) {
      await cancel(res, ex);
      throw new HttpError(url, `${did}, ${bytes(cl)}; ${advice}`, { status: 200 });
    }
    return this.readBody(url, res, ex, {
      max,
      expected: cl,
      over: (n) => `${did}, more than ${bytes(max)}: stopped reading after ${n} bytes; ${advice}`,
    });
  }

  /**
   * Sends one request (and its retries), each try in a slot of the origin's
   * limiter (held until its body is read; not while waiting to retry);
   * `handle` reads the answer.
   */
  private async exchange<T>(url: string, method: string, range: string | undefined, handle: (res: Response, ex: Exchange) => Promise<T>): Promise<T> {
    const slots = originSlots(url, this.options.concurrency);
    const once = async () => {
      const ex = this.open();
      try {
        return await handle(await this.send(url, method, range, ex, slots), ex);
      } finally {
        ex.dispose();
      }
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await slots.limiter.run(once);
      } catch (e) {
        if (!(e instanceof HttpError) || !e.retryable) throw e;
        if (attempt >= this.o.attempts) {
          if (attempt === 1) throw e;
          throw new HttpError(url, `${e.problem} (${attempt} tries)`, { status: e.status, cause: e.cause });
        }
        const backoff = this.o.retryDelayMs * 2 ** (attempt - 1) * (1 + 0.2 * Math.random());
        await sleep(Math.min(this.o.maxRetryDelayMs, e.retryAfterMs ?? backoff), this.options.fetchInit?.signal);
      }
    }
  }

  private open(): Exchange {
    const ctl = new AbortController();
    const user = this.options.fetchInit?.signal;
    const forward = () => ctl.abort(user?.reason);
    if (user?.aborted) forward();
    else user?.addEventListener("abort", forward, { once: true });
    return { ctl, dispose: () => user?.removeEventListener("abort", forward) };
  }

  /** The answer's headers, within timeoutMs; how soon they came is told to the origin's window. */
  private async send(url: string, method: string, range: string | undefined, ex: Exchange, slots: OriginSlots): Promise<Response> {
    this.requests++;
    const init = this.options.fetchInit ?? {};
    const headers = new Headers(init.headers);
    if (range) headers.set("Range", range);
    const limit = this.o.timeoutMs;
    const timer = setTimeout(() => {
      ex.why = `no answer within ${seconds(limit)} (the connect and first-byte time limit, option timeoutMs)`;
      ex.ctl.abort();
    }, limit);
    const sent = slots.sent();
    try {
      const res = await this.fetchFn(url, { ...init, method, headers, signal: ex.ctl.signal });
      slots.answered(sent);
      if (RETRY_STATUS.has(res.status)) {
        await cancel(res, ex);
        throw statusError(url, res, range, method);
      }
      return res;
    } catch (e) {
      if (e instanceof HttpError) throw e;
      // no answer in time: a connection stalled behind a full listen backlog gets one on a new try
      if (ex.why) throw new HttpError(url, ex.why, { cause: e, retryable: true });
      if (this.options.fetchInit?.signal?.aborted) throw e; // the caller's own abort
      throw requestError(url, e);
    } finally {
      clearTimeout(timer);
      slots.settled(sent);
    }
  }

  /**
   * Streams a body into memory, never past `max` bytes (then the request is
   * aborted: `over` says why), aborting a stalled or trickling body.
   */
  private async readBody(url: string, res: Response, ex: Exchange, p: { max: number; expected?: number; over: (n: number) => string }): Promise<Uint8Array> {
    const of = p.expected !== undefined ? ` of ${p.expected}` : "";
    if (!res.body) {
      // A fetch without streams: nothing to bound while reading.
      const b = new Uint8Array(await res.arrayBuffer());
      this.bytesReceived += b.length;
      if (b.length > p.max) throw new HttpError(url, p.over(b.length), { status: res.status });
      return b;
    }
    const reader = res.body.getReader();
    let buf = new Uint8Array(Math.min(p.max, p.expected ?? SMALL));
    let total = 0;
    const windowMs = this.o.idleTimeoutMs;
    const need = Math.max(1, Math.floor((this.o.minBytesPerSecond * windowMs) / 1000));
    let inWindow = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        if (inWindow >= need) {
          inWindow = 0;
          arm();
          return;
        }
        ex.why =
          inWindow === 0
            ? `the server sent nothing for ${seconds(windowMs)}`
            : `the server sent only ${inWindow} bytes in ${seconds(windowMs)}, slower than ${this.o.minBytesPerSecond} bytes/s`;
        ex.why += ` (after ${total}${of} bytes; the idle time limit, options idleTimeoutMs and minBytesPerSecond)`;
        ex.ctl.abort();
        reader.cancel().catch(() => {});
      }, windowMs);
    };
    arm();
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (ex.why) throw new HttpError(url, ex.why, { status: res.status, cause: e });
          if (this.options.fetchInit?.signal?.aborted) throw e;
          const code = errorCode(e);
          throw new HttpError(url, `the server closed the connection after ${total}${of} bytes${code ? ` (${code})` : ""}`, {
            status: res.status,
            retryable: true,
            cause: e,
          });
        }
        if (ex.why) throw new HttpError(url, ex.why, { status: res.status });
        if (r.done) break;
        const chunk = r.value;
        this.bytesReceived += chunk.length;
        inWindow += chunk.length;
        if (total + chunk.length > p.max) {
          ex.ctl.abort();
          await reader.cancel().catch(() => {});
          throw new HttpError(url, p.over(total + chunk.length), { status: res.status });
        }
        if (total + chunk.length > buf.length) {
          const grown = new Uint8Array(Math.min(p.max, Math.max(total + chunk.length, 2 * buf.length)));
          grown.set(buf.subarray(0, total));
          buf = grown;
        }
        buf.set(chunk, total);
        total += chunk.length;
      }
    } finally {
      clearTimeout(timer);
    }
    return total === buf.length ? buf : buf.slice(0, total);
  }
}

/** A request sent: when, under which window, and its stall timer. */
interface Sent {
  at: number;
  window: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The requests in flight to one origin: a limiter whose bound (the window)
 * lies between `floor` and `ceiling`; fixed when they are equal. It grows by
 * one with each answer while requests wait, unless one sent earlier is still
 * unanswered past LATE_MS or 4 x the quickest answer yet (it may be
 * stalled, or the server is queueing: growing on would only send more into
 * a full backlog before the stall shows). A request with no answer after
 * STALL_MS under window w lowers the ceiling to w / 2 (one cut for the
 * requests of one burst), not below the floor, for good: a server that
 * stalled once is not pushed there again.
 */
class OriginSlots {
  readonly limiter: Limiter;
  window: number;
  /** Requests waiting for their answer's headers, oldest first. */
  private readonly unanswered = new Set<Sent>();
  /** The quickest answer's headers yet (the server idle), ms. */
  private fastest = Number.POSITIVE_INFINITY;
  constructor(
    private readonly floor: number,
    private ceiling: number,
  ) {
    this.window = floor;
    this.limiter = new Limiter(floor);
  }
  sent(): Sent {
    const s: Sent = { at: Date.now(), window: this.window };
    if (this.ceiling > this.floor) {
      s.timer = setTimeout(() => this.stalled(s.window), STALL_MS);
      this.unanswered.add(s);
    }
    return s;
  }
  /** Its answer's headers came. */
  answered(s: Sent): void {
    if (!this.unanswered.delete(s)) return;
    clearTimeout(s.timer);
    const now = Date.now();
    this.fastest = Math.min(this.fastest, now - s.at);
    if (this.window >= this.ceiling || this.limiter.waiting === 0) return;
    const oldest = this.unanswered.values().next().value;
    if (oldest && now - oldest.at > Math.max(LATE_MS, 4 * this.fastest)) return;
    this.limiter.setMax(++this.window);
  }
  /** The request is over (answered, or failed with no answer). */
  settled(s: Sent): void {
    if (this.unanswered.delete(s)) clearTimeout(s.timer);
  }
  private stalled(sentUnder: number): void {
    const to = Math.max(this.floor, Math.floor(sentUnder / 2));
    if (to >= this.ceiling) return;
    this.ceiling = to;
    this.window = Math.min(this.window, to);
    this.limiter.setMax(this.window);
  }
}

/** The slots of each origin and `concurrency` given, shared by every client (as a browser shares its connections to a host). */
const origins = new Map<string, OriginSlots>();

function originSlots(url: string, concurrency: number | undefined): OriginSlots {
  let origin = "";
  let protocol = "";
  try {
    ({ origin, protocol } = new URL(url));
  } catch {} // not a URL: fetch will say so
  const key = `${concurrency ?? ""} ${origin}`;
  let s = origins.get(key);
  if (!s) {
    const start = concurrency ?? (protocol === "http:" ? HTTP_CONCURRENCY["http:"] : HTTP_CONCURRENCY.max);
    s = new OriginSlots(start, concurrency ?? HTTP_CONCURRENCY.max);
    origins.set(key, s);
  }
  return s;
}

function isMissing(status: number): boolean {
  return status === 404 || status === 403 || status === 410;
}

async function cancel(res: Response, ex?: Exchange): Promise<void> {
  await res.body?.cancel().catch(() => {});
  ex?.ctl.abort();
}

async function cancelled<T>(res: Response, value: T): Promise<T> {
  await res.body?.cancel().catch(() => {});
  return value;
}

/** Content-Length, when it is the body's length (no content coding). */
function contentLength(res: Response): number | undefined {
  const enc = res.headers.get("content-encoding");
  if (enc && enc.toLowerCase() !== "identity") return undefined;
  const v = res.headers.get("content-length");
  if (v === null || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

function contentRange(res: Response): { start: number; end: number; size?: number } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(res.headers.get("content-range") ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), size: m[3] === "*" ? undefined : Number(m[3]) };
}

function statusError(url: string, res: Response, range: string | undefined, method = "GET"): HttpError {
  const what = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  const to = range ? ` to Range: ${range}` : method === "HEAD" ? " to a HEAD request" : "";
  const status = res.status;
  if (status === 404 || status === 410) return new HttpError(url, `${what}: no file at this URL`, { status });
  if (status === 401 || status === 403) return new HttpError(url, `${what}: the server refuses access`, { status });
  if (status === 416) {
    const size = /\/(\d+)\s*$/.exec(res.headers.get("content-range") ?? "")?.[1];
    return new HttpError(url, `${what}: the range ${range} is past the end of the file${size ? ` (${size} bytes)` : ""}`, { status });
  }
  if (RETRY_STATUS.has(status)) return new HttpError(url, `${what}${to}`, { status, retryable: true, retryAfterMs: retryAfter(res) });
  if (status >= 200 && status < 300) return new HttpError(url, `unexpected ${what}${to} (expected 206 Partial Content or 200)`, { status });
  return new HttpError(url, `${what}${to}`, { status });
}

/** Retry-After in ms (seconds or an HTTP date), if given. */
function retryAfter(res: Response): number | undefined {
  const v = res.headers.get("retry-after");
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** The code of a network error (Node's fetch: on the cause, or the cause's cause). */
function errorCode(e: unknown): string | undefined {
  for (let c: any = e, i = 0; c && i < 4; c = c.cause, i++) if (typeof c.code === "string") return c.code;
  return undefined;
}

/** A fetch that failed with no answer: a network error, or (in a browser) CORS. */
function requestError(url: string, e: unknown): HttpError {
  const code = errorCode(e);
  if (code) {
    let detail = code;
    for (let c: any = (e as any)?.cause; c; c = c.cause) if (c.message) detail = c.message;
    return new HttpError(url, `the request failed: ${detail}`, { retryable: RESET_CODES.has(code), cause: e });
  }
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new HttpError(
    url,
    `the request failed with no answer (${msg}); in a browser this is most often CORS: a server on another origin must send ${CORS_REQUIREMENTS}; else the server is unreachable`,
    { cause: e },
  );
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(3)} s`;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB (${n} bytes)`;
  return `${n} bytes`;
}
