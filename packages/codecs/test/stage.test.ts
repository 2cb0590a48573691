// An input staged in the kernels' memory (Kernels.stage) is encoded where it
// is: the same bytes as the same input handed in from outside, for every
// encoder, while other calls in between (any size up to the staged one) leave
// it untouched; a fresh instance each test, so no test sees another's stage.
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createKernels } from "../src/kernels.js";
import { KERNELS_WASM } from "../src/wasm.generated.js";
import { noise } from "./data.js";

/** A masked float16-like stack: runs of zeros with noisy blocks, `planes` planes of 32 KB. */
function stack(planes: number, seed: number): Uint8Array {
  const b = noise(planes * 32768, seed);
  for (let i = 0; i < b.length; i++) if (((i >> 9) + (i >> 13)) % 3 !== 0) b[i] = 0;
  return b;
}

describe("staged input", () => {
  it("each encoder gives the same bytes from a staged view as from a copy", () => {
    const k = createKernels(KERNELS_WASM);
    const src = stack(5, 11);
    const staged = k.stage(src.length);
    expect(staged.length).toBe(src.length);
    staged.set(src);
    for (let p = 0; p < 5; p++) {
      const plane = src.subarray(p * 32768, (p + 1) * 32768);
      const inPlace = k.deflateRle(staged.subarray(p * 32768, (p + 1) * 32768));
      expect(inflateSync(inPlace)).toEqual(Buffer.from(plane));
      expect(k.adler32(staged.subarray(p * 32768, (p + 1) * 32768))).toBe(k.adler32(plane.slice()));
    }
    const blosc = k.bloscEncodeLz4(staged, 2, true, 65536, 5);
    expect(k.bloscDecode(blosc)).toEqual(src);
    const lz4 = new Uint8Array(src.length + 1024);
    const n = k.lz4EncodeBlock(staged, lz4, 1);
    const back = new Uint8Array(src.length);
    k.lz4DecodeBlock(lz4.subarray(0, n), back);
    expect(back).toEqual(src);
    expect(k.shuffleBytes(staged, 2)).toEqual(k.shuffleBytes(src.slice(), 2));
    // the staged bytes were only read
    expect(staged).toEqual(src);

    // the same calls on a copy from outside give the same streams
    const k2 = createKernels(KERNELS_WASM);
    expect(k2.bloscEncodeLz4(src.slice(), 2, true, 65536, 5)).toEqual(blosc);
    expect(k2.deflateRle(src.slice(0, 32768))).toEqual(k.deflateRle(staged.subarray(0, 32768)));
  });

  it("calls on inputs from elsewhere, up to the staged size, leave the staged bytes as they are", () => {
    const k = createKernels(KERNELS_WASM);
    const src = stack(4, 5);
    const staged = k.stage(src.length);
    staged.set(src);
    const before = k.memoryBytes();
    // a shuffled plane deflated (the HDF5 shuffle + deflate pipeline: the second input is not staged)
    for (let p = 0; p < 4; p++) {
      const shuffled = k.shuffleBytes(staged.subarray(p * 32768, (p + 1) * 32768), 2);
      expect(inflateSync(k.deflateRle(shuffled))).toEqual(Buffer.from(k.shuffleBytes(src.subarray(p * 32768, (p + 1) * 32768).slice(), 2)));
    }
    // an unstaged input as large as the stage, and its decode
    const other = stack(4, 9);
    const frame = k.bloscEncodeLz4(other, 2, true, 65536, 5);
    expect(k.bloscDecode(frame)).toEqual(other);
    expect(k.memoryBytes()).toBe(before);
    expect(staged.length).toBe(src.length);
    expect(staged).toEqual(src);
    expect(inflateSync(k.deflateRle(staged.subarray(0, 32768)))).toEqual(Buffer.from(src.subarray(0, 32768)));
  });

  it("a view outside the staged bytes is copied in, and stage(0) ends the stage", () => {
    const k = createKernels(KERNELS_WASM);
    const src = stack(2, 3);
    const staged = k.stage(32768);
    staged.set(src.subarray(0, 32768));
    // a view of the whole memory beyond the stage is not the staged input
    expect(inflateSync(k.deflateRle(src))).toEqual(Buffer.from(src));
    expect(staged).toEqual(src.subarray(0, 32768));
    expect(k.stage(0).length).toBe(0);
    // after it, calls use the memory from its start as before
    expect(inflateSync(k.deflateRle(src.subarray(32768)))).toEqual(Buffer.from(src.subarray(32768)));
  });
});
