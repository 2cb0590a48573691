// The one HTTP client every remote read goes through (an HDF5 file, the keys
// of a Zarr store, a zip, the lazy reader's first check), so that each rule is
// written once:
// - time limits: the answer's headers within `timeoutMs` (connect and first
//   byte), then the body must keep coming: at least `minBytesPerSecond` over
//   every `idleTimeoutMs` window (a stalled or trickling body is aborted);
// - bounds: a body is streamed and never read past what was asked (a range's
//   length, a whole file's bound): an endless body costs no memory;
// - retries with backoff for 408 / 429 / 500 / 502 / 503 / 504, connection
//   resets and bodies cut off (these GETs and HEADs are idempotent), honouring
//   Retry-After up to a cap;
// - static hosts: a 200 answer to a range request (the server ignores Range)
//   is used when the whole file is small, else refused with its body
//   cancelled; a 200 to a suffix range falls back to HEAD + explicit range;
// - every error names the URL and what the server did; a request that fails
//   with no answer names CORS (a browser gives no other reason).
// Only fetch: no Node built-in (this module runs in browsers).
import { SourceError } from "./source-error.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
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
  /** Tries per request for 408 / 429 / 5xx answers, connection resets and cut-off bodies; default 3. */
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
  /** The largest body of a plain GET (a whole Zarr key: metadata, a chunk, a shard); default 256 MiB. */
  maxBodyBytes?: number;
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
  maxBodyBytes: 256 * 1024 * 1024,
} as const;

const OPTION_KEYS = [
  "fetch",
  "fetchInit",
  "timeoutMs",
  "idleTimeoutMs",
  "minBytesPerSecond",
  "attempts",
  "retryDelayMs",
  "maxRetryDelayMs",
  "maxWholeFileBytes",
  "maxBodyBytes",
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
  /** The bytes asked for; fewer when the file ends first. */
  bytes: Uint8Array;
  /** The file's size when the answer told it (a visible Content-Range, or a whole file). */
  size?: number;
  /** The whole file, when the server ignored Range and sent it (within maxWholeFileBytes). */
  whole?: Uint8Array;
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
  private readonly o: Required<Omit<HttpOptions, "fetch" | "fetchInit">>;
  private readonly fetchFn: FetchLike;
  /** Set once the server answered a suffix range with 200: later suffix reads go HEAD + explicit range. */
  private suffixIgnored = false;

  constructor(readonly options: HttpOptions = {}) {
    const o = { ...HTTP_DEFAULTS } as Required<Omit<HttpOptions, "fetch" | "fetchInit">>;
    for (const k of Object.keys(HTTP_DEFAULTS) as (keyof typeof HTTP_DEFAULTS)[]) {
      const v = options[k];
      if (v !== undefined) {
        if (typeof v !== "number" || !(v >= 0)) throw new RangeError(`HTTP option ${k} must be a number >= 0, got ${String(v)}`);
        (o as Record<string, number>)[k] = v;
      }
    }
    o.attempts = Math.max(1, Math.floor(o.attempts));
    this.o = o;
    this.fetchFn = options.fetch ?? ((u, i) => fetch(u, i));
  }

  /** A whole resource; undefined when it is missing and `missingOk`. At most maxBodyBytes. */
  get(url: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
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
    const spec = `bytes=${offset}-${offset + length - 1}`;
    return this.exchange(url, "GET", spec, async (res, ex) => {
      if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
      if (res.status === 206) {
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
        const whole = await this.wholeFile(url, res, ex, spec);
        return { bytes: whole.subarray(offset, offset + length), size: whole.length, whole };
      }
      throw statusError(url, res, spec);
    });
  }

  /**
   * The last `length` bytes (fewer when the file is shorter): a suffix range;
   * when the server answers it with 200 (some static hosts do), the end of a
   * small whole file, else HEAD for the size and an explicit range.
   */
  async suffix(url: string, length: number, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    if (length <= 0) return new Uint8Array(0);
    if (!this.suffixIgnored) {
      const spec = `bytes=-${length}`;
      const got = await this.exchange(url, "GET", spec, async (res, ex): Promise<{ bytes?: Uint8Array } | null | undefined> => {
        if (opts.missingOk && isMissing(res.status)) return cancelled(res, undefined);
        if (res.status === 206) {
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
          if (cl !== undefined && cl <= Math.min(this.o.maxWholeFileBytes, Math.max(SMALL, 4 * length))) {
            const whole = await this.wholeFile(url, res, ex, spec);
            return { bytes: whole.subarray(Math.max(0, whole.length - length)) };
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

  /** Sends one request (and its retries); `handle` reads the answer. */
  private async exchange<T>(url: string, method: string, range: string | undefined, handle: (res: Response, ex: Exchange) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const ex = this.open();
      try {
        const res = await this.send(url, method, range, ex);
        return await handle(res, ex);
      } catch (e) {
        if (!(e instanceof HttpError) || !e.retryable) throw e;
        if (attempt >= this.o.attempts) {
          if (attempt === 1) throw e;
          throw new HttpError(url, `${e.problem} (${attempt} tries)`, { status: e.status, cause: e.cause });
        }
        const backoff = this.o.retryDelayMs * 2 ** (attempt - 1) * (1 + 0.2 * Math.random());
        await sleep(Math.min(this.o.maxRetryDelayMs, e.retryAfterMs ?? backoff), this.options.fetchInit?.signal);
      } finally {
        ex.dispose();
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

  /** The answer's headers, within timeoutMs. */
  private async send(url: string, method: string, range: string | undefined, ex: Exchange): Promise<Response> {
    this.requests++;
    const init = this.options.fetchInit ?? {};
    const headers = new Headers(init.headers);
    if (range) headers.set("Range", range);
    const limit = this.o.timeoutMs;
    const timer = setTimeout(() => {
      ex.why = `no answer within ${seconds(limit)} (the connect and first-byte time limit, option timeoutMs)`;
      ex.ctl.abort();
    }, limit);
    try {
      const res = await this.fetchFn(url, { ...init, method, headers, signal: ex.ctl.signal });
      if (RETRY_STATUS.has(res.status)) {
        await cancel(res, ex);
        throw statusError(url, res, range, method);
      }
      return res;
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (ex.why) throw new HttpError(url, ex.why, { cause: e });
      if (this.options.fetchInit?.signal?.aborted) throw e; // the caller's own abort
      throw requestError(url, e);
    } finally {
      clearTimeout(timer);
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
