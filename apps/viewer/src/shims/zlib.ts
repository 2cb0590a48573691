// node:zlib for the browser: the callback API the format packages promisify.
// (fflate's inflateSync is raw deflate, unzlibSync the zlib stream.)
// Decompression runs on the browser's native DecompressionStream (off the
// main thread's JS, fast); fflate covers compression and the sync calls.
import { zlibSync as fDeflate, deflateSync as fDeflateRaw, gunzipSync as fGunzip, gzipSync as fGzip, inflateSync as fInflateRaw, unzlibSync as fUnzlib } from "fflate";

type Callback = (err: Error | null, out?: Uint8Array) => void;
type Format = "gzip" | "deflate" | "deflate-raw";

async function stream(data: Uint8Array, format: Format): Promise<Uint8Array> {
  const body = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function decompress(format: Format | "auto", fallback: (d: Uint8Array) => Uint8Array) {
  return (data: Uint8Array, a?: unknown, b?: unknown): void => {
    const cb = (typeof a === "function" ? a : b) as Callback;
    // gzip starts 1f 8b; anything else labelled gzip is a zlib stream
    const f: Format = format === "auto" ? (data[0] === 0x1f && data[1] === 0x8b ? "gzip" : "deflate") : format;
    if (typeof DecompressionStream === "undefined") {
      try {
        cb(null, fallback(data));
      } catch (err) {
        cb(err as Error);
      }
      return;
    }
    stream(data, f).then(
      (out) => cb(null, out),
      (err) => cb(err as Error),
    );
  };
}

function compress(fn: (d: Uint8Array) => Uint8Array) {
  return (data: Uint8Array, a?: unknown, b?: unknown): void => {
    const cb = (typeof a === "function" ? a : b) as Callback;
    try {
      cb(null, fn(data));
    } catch (err) {
      cb(err as Error);
    }
  };
}

export const gunzip = decompress("gzip", fGunzip);
export const inflate = decompress("deflate", fUnzlib);
export const inflateRaw = decompress("deflate-raw", fInflateRaw);
export const unzip = decompress("auto", (d) => (d[0] === 0x1f ? fGunzip(d) : fUnzlib(d)));
export const gzip = compress((d) => fGzip(d));
export const deflate = compress((d) => fDeflate(d));
export const deflateRaw = compress((d) => fDeflateRaw(d));
export const deflateSync = (d: Uint8Array, o?: { level?: number }) => fDeflate(d, { level: (o?.level ?? 6) as 6 });
export const inflateSync = (d: Uint8Array) => fUnzlib(d);
export const inflateRawSync = (d: Uint8Array) => fInflateRaw(d);
export const gunzipSync = (d: Uint8Array) => fGunzip(d);
export const constants: Record<string, number> = {};

export default { gunzip, inflate, inflateRaw, unzip, gzip, deflate, deflateRaw, deflateSync, inflateSync, inflateRawSync, gunzipSync, constants };
