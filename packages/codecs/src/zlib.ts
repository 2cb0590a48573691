// Deflate streams (zlib RFC 1950, gzip RFC 1952, raw RFC 1951) for every
// package, on any platform. The default backend is the web's Compression
// Streams (native code in every current browser, worker, Deno, Bun and Node):
// asynchronous only, at the default level. Node's entry (node.ts) swaps in
// node:zlib, which also has synchronous calls, levels and Z_RLE, and whose
// async calls run on libuv's threadpool, so many chunks inflate in parallel.
// The synchronous run-length deflate (zlib format) is ours on every platform:
// the WebAssembly encoder of assembly/deflate.ts.
import { kernels } from "./instance.js";

export type DeflateFormat = "zlib" | "gzip" | "raw";

export interface DeflateOptions {
  /** 0-9 (default 6); backends without levels use their default. */
  level?: number;
  /**
   * zlib's run-length parse (Z_RLE): runs of one byte become matches, nothing
   * else is searched. deflateSync to the zlib format uses our WebAssembly
   * encoder on every platform (about 2x node:zlib's Z_RLE on float16 cell
   * planes, the same size within 0.1%; bench/codecs.mjs); the async calls use
   * the backend's, without it when the backend has no strategies.
   */
  rle?: boolean;
  /**
   * deflateSync with `rle` (our encoder): the stream goes into this array when
   * it fits (the result is a view of it), so a caller compressing chunk after
   * chunk allocates nothing; deflateBound(n) bytes always suffice.
   */
  into?: Uint8Array;
}

export interface ZlibBackend {
  readonly name: string;
  inflate(src: Uint8Array, format: DeflateFormat, sizeHint?: number): Promise<Uint8Array>;
  deflate(src: Uint8Array, format: DeflateFormat, options?: DeflateOptions): Promise<Uint8Array>;
  /** Optional: on the calling thread. `sizeHint`: the expected output size, when known. */
  inflateSync?(src: Uint8Array, format: DeflateFormat, sizeHint?: number): Uint8Array;
  deflateSync?(src: Uint8Array, format: DeflateFormat, options?: DeflateOptions): Uint8Array;
}

const STREAM_FORMAT = { zlib: "deflate", gzip: "gzip", raw: "deflate-raw" } as const;

async function throughStream(src: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([src as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** The Compression Streams API: native, asynchronous, default level. */
export const webStreamsBackend: ZlibBackend = {
  name: "compression-streams",
  inflate: (src, format) => throughStream(src, new DecompressionStream(STREAM_FORMAT[format])),
  deflate: (src, format) => throughStream(src, new CompressionStream(STREAM_FORMAT[format])),
};

let backend: ZlibBackend = webStreamsBackend;

/** Replaces the deflate backend of this thread (Node's entry installs node:zlib). */
export function setZlibBackend(b: ZlibBackend): void {
  backend = b;
}

/** The backend in use (its `name` says which). */
export function zlibBackend(): ZlibBackend {
  return backend;
}

/** A failed inflate or deflate, with the format in the message. */
function wrap(format: DeflateFormat, err: unknown): Error {
  const message = (err as Error)?.message ?? String(err);
  return new Error(`${format === "gzip" ? "gzip" : "deflate"}: ${message}`, { cause: err });
}

/** Whether this thread's backend has synchronous calls (Node's does; the web streams do not). */
export function hasSyncDeflate(): boolean {
  return backend.inflateSync !== undefined && backend.deflateSync !== undefined;
}

function noSync(): never {
  throw new Error(`the deflate backend "${backend.name}" is asynchronous only (synchronous deflate needs Node's entry, or setZlibBackend)`);
}

export function inflateSync(src: Uint8Array, format: DeflateFormat = "zlib", sizeHint?: number): Uint8Array {
  if (!backend.inflateSync) noSync();
  try {
    return backend.inflateSync(src, format, sizeHint);
  } catch (e) {
    throw wrap(format, e);
  }
}

export async function inflate(src: Uint8Array, format: DeflateFormat = "zlib", sizeHint?: number): Promise<Uint8Array> {
  try {
    return await backend.inflate(src, format, sizeHint);
  } catch (e) {
    throw wrap(format, e);
  }
}

export function deflateSync(src: Uint8Array, format: DeflateFormat = "zlib", options?: DeflateOptions): Uint8Array {
  if (options?.rle && format === "zlib" && options.level !== 0) return kernels().deflateRle(src, options.into);
  if (!backend.deflateSync) noSync();
  return backend.deflateSync(src, format, options);
}

export function deflate(src: Uint8Array, format: DeflateFormat = "zlib", options?: DeflateOptions): Promise<Uint8Array> {
  return backend.deflate(src, format, options);
}
