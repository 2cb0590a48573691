// Damaged input must end in an Error or a wrong-length result, never a trap,
// an endless loop or a write outside the output: thousands of mutated
// streams of each codec, then the same instance still decodes good input.
import { describe, expect, it } from "vitest";
import { kernels } from "../src/index.js";

function cell(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = ((i >> 7) & 1) === 0 ? 0 : x >>> 29;
  }
  return b;
}

describe("damaged streams", () => {
  it("lz4, lzf and blosc decoders reject or survive 3,000 mutations each", () => {
    const k = kernels();
    const src = cell(20_000);
    const lz4 = new Uint8Array(src.length + 100);
    const lz4n = k.lz4EncodeBlock(src, lz4, 1);
    const lzf = new Uint8Array(src.length + 100);
    const lzfn = k.lzfCompress(src, lzf);
    const blosc = k.bloscEncodeLz4(src, 2, true, 4096, 5);
    let x = 99;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    // the output sits inside a larger buffer: bytes around it must stay untouched
    const outer = new Uint8Array(src.length + 200).fill(0xaa);
    const out = outer.subarray(100, 100 + src.length);
    for (let t = 0; t < 3000; t++) {
      for (const [stream, n, decode] of [
        [lz4, lz4n, (s: Uint8Array) => k.lz4DecodeBlock(s, out)],
        [lzf, lzfn, (s: Uint8Array) => k.lzfDecode(s, out)],
        [blosc, blosc.length, (s: Uint8Array) => k.bloscDecode(s)],
      ] as const) {
        const s = stream.slice(0, t % 3 === 0 ? rnd(n) + 1 : n);
        for (let m = 0; m < 1 + rnd(4); m++) s[16 + rnd(s.length > 16 ? s.length - 16 : 1)] = rnd(256);
        try {
          decode(s);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toMatch(/^(lz4|lzf|blosc): /);
        }
      }
    }
    expect(outer.subarray(0, 100).every((v) => v === 0xaa)).toBe(true);
    expect(outer.subarray(100 + src.length).every((v) => v === 0xaa)).toBe(true);
    const back = new Uint8Array(src.length);
    expect(k.lz4DecodeBlock(lz4.subarray(0, lz4n), back)).toBe(src.length);
    expect(back).toEqual(src);
    expect(k.bloscDecode(blosc)).toEqual(src);
  });

  it("gives its memory back after a large chunk and goes on coding", () => {
    const k = kernels();
    const big = new Uint8Array(80 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i >> 12;
    const shuffled = k.shuffleBytes(big, 2);
    expect(k.memoryBytes()).toBeGreaterThan(2 * big.length);
    const back = new Uint8Array(big.length);
    k.unshuffle(shuffled, back, 2);
    expect(back[4096 * 77]).toBe(77);
    const src = cell(30_000);
    const out = new Uint8Array(src.length + 100);
    const n = k.lzfCompress(src, out);
    expect(k.memoryBytes()).toBeLessThan(1024 * 1024);
    const dec = new Uint8Array(src.length);
    expect(k.lzfDecode(out.subarray(0, n), dec)).toBe(src.length);
    expect(dec).toEqual(src);
  });
});
