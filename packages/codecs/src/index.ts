// @cellfolio/codecs: the byte codecs of HDF5 and Zarr chunks, as WebAssembly
// compiled from AssemblyScript (assembly/): LZ4 blocks, blosc frames of lz4
// streams, LZF, the byte shuffle and deflate's run-length form. On float16
// cell chunks, one core against numcodecs' C (bench/codecs.mjs): blosc lz4
// decode 1.35x, encode 0.88x; the shuffle ~15x (numcodecs' is a Cython loop);
// run-length deflate 2.2x node:zlib's Z_RLE. Against the typed-array
// JavaScript they replaced: shuffle 5-8x, lz4 decode 2.3x, encode 1.8x, lzf
// decode 4.9x, encode 2.2x.
import { kernels } from "./instance.js";

export { type BloscHeader, bloscHeader } from "./blosc-header.js";
export { CellfolioError, isCellfolioError } from "./errors.js";
export { kernels } from "./instance.js";
export { createKernels, deflateBound, type Kernels } from "./kernels.js";
export { type Utf8Strings, utf8At, utf8Length, utf8Strings } from "./utf8.js";

/** The worst-case size of one LZ4 block of `n` bytes. */
export function lz4Bound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

export const lz4DecodeBlock = (src: Uint8Array, dst: Uint8Array): number => kernels().lz4DecodeBlock(src, dst);
export const lz4EncodeBlock = (src: Uint8Array, dst: Uint8Array, acceleration = 1): number =>
  kernels().lz4EncodeBlock(src, dst, acceleration);
export const lzfDecode = (src: Uint8Array, dst: Uint8Array): number => kernels().lzfDecode(src, dst);
export const lzfCompress = (src: Uint8Array, dst: Uint8Array): number => kernels().lzfCompress(src, dst);
export const deflateRle = (src: Uint8Array, into?: Uint8Array): Uint8Array => kernels().deflateRle(src, into);
export const shuffleBytes = (src: Uint8Array, size: number, dst?: Uint8Array): Uint8Array => kernels().shuffleBytes(src, size, dst);
export const unshuffle = (src: Uint8Array, dst: Uint8Array, size: number): void => kernels().unshuffle(src, dst, size);

export {
  type DeflateFormat,
  type DeflateOptions,
  deflate,
  deflateSync,
  hasSyncDeflate,
  inflate,
  inflateSync,
  setZlibBackend,
  webStreamsBackend,
  type ZlibBackend,
  zlibBackend,
} from "./zlib.js";
