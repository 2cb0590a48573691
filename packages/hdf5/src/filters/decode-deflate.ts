// The deflate filter (id 1): zlib streams, inflated on the libuv threadpool
// so that many chunks decompress in parallel.
import { inflate, inflateSync } from "node:zlib";

export function inflateAsync(src: Uint8Array, expectedSize?: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    inflate(src, expectedSize ? { chunkSize: Math.max(expectedSize, 64) } : {}, (err, out) => {
      if (err) reject(new Error(`deflate: ${err.message}`));
      else resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
  });
}

export function inflateNow(src: Uint8Array): Uint8Array {
  const out = inflateSync(src);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
