// The module's exports: byte codecs of HDF5 and Zarr chunks, run as
// WebAssembly (16-byte copies and SIMD shuffles that typed-array loops in JS
// cannot express). src/kernels.ts is the JavaScript side.
import { WORK_BASE } from "./layout";

export { lz4Decode, lz4Encode } from "./lz4";
export { lzfDecode, lzfEncode, lzfReset } from "./lzf";
export { shuffle, unshuffle } from "./shuffle";
export { bloscDecode, bloscEncode } from "./blosc";
export { adler32, deflateRle } from "./deflate";
export { lzwDecode } from "./lzw";

/** Where the caller's buffers may start (after the static data and the encoders' tables). */
export function workBase(): usize {
  return WORK_BASE;
}
