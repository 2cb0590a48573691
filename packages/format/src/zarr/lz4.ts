// numcodecs' LZ4 codec: a 4-byte decoded size, then one raw LZ4 block. The
// blocks are coded by @cellfolio/codecs (WebAssembly): numcodecs' own wasm
// build copied each chunk through embind at more than the cost of
// compressing it.
import { lz4Bound, lz4DecodeBlock, lz4EncodeBlock } from "@cellfolio/codecs";

/** numcodecs' LZ4 codec: the decoded size (4 bytes, little endian), then one block. */
export function lz4EncodeFramed(src: Uint8Array, acceleration = 1): Uint8Array {
  const out = new Uint8Array(4 + lz4Bound(src.length));
  const n = lz4EncodeBlock(src, out.subarray(4), acceleration);
  out[0] = src.length & 0xff;
  out[1] = (src.length >>> 8) & 0xff;
  out[2] = (src.length >>> 16) & 0xff;
  out[3] = (src.length >>> 24) & 0xff;
  return out.slice(0, 4 + n);
}

/** numcodecs' LZ4 codec, decoded. */
export function lz4DecodeFramed(src: Uint8Array): Uint8Array {
  if (src.length < 4) throw new Error("lz4: shorter than its 4-byte size header");
  const size = (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0;
  const out = new Uint8Array(size);
  const n = lz4DecodeBlock(src.subarray(4), out);
  if (n !== size) throw new Error(`lz4: decoded ${n} bytes, header says ${size}`);
  return out;
}
