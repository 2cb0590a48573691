// The run-length deflate encoder (assembly/deflate.ts) against zlib itself:
// what it writes, node:zlib and h5py (HDF5's gzip filter, libz) read back to
// the input; on masked float16 planes it is as small as zlib's own Z_RLE
// level 1; its Adler-32 is zlib's; and deflateSync({ rle }) uses it with any
// backend, the browser's included.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { deflateBound, deflateRle, deflateSync, kernels, nodeZlibBackend, setZlibBackend, webStreamsBackend } from "../src/node.js";
import { noise } from "./data.js";

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-deflate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded generator of 32-bit values. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
}

/**
 * A masked, normalised float16 cell plane as extraction writes it: zeros
 * outside a disc, values in [0, 1] with noise inside (or 1.0 inside, for a
 * mask plane).
 */
function cellPlane(size: number, seed: number, mask = false): Uint8Array {
  const u16 = new Uint16Array(size * size);
  const rnd = lcg(seed);
  const r = size * (0.2 + (rnd() % 100) / 500);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - size / 2, y - size / 2);
      if (d > r) continue;
      // float16 of a value in (0, 1]: exponent 0x3000-0x3b00 with noisy mantissa
      u16[y * size + x] = mask ? 0x3c00 : 0x3000 + ((rnd() >>> 16) % 0x0c00);
    }
  }
  return new Uint8Array(u16.buffer);
}

/** Runs and noise in pieces of random length: the parse's edges (runs of 2, 3, 258, 259, at the end). */
function pieces(n: number, seed: number): Uint8Array {
  const rnd = lcg(seed);
  const b = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const len = Math.min(n - i, [1, 2, 3, 4, 257, 258, 259, 600][rnd() % 8] + (rnd() % 3));
    const kind = rnd() % 3;
    const v = rnd() >>> 24;
    for (let k = 0; k < len; k++) b[i + k] = kind === 0 ? v : kind === 1 ? rnd() >>> 24 : (k >> 1) & 1 ? v : 0;
    i += len;
  }
  return b;
}

/** Symbols with Fibonacci frequencies: Huffman codes longer than deflate's 15 bits unless limited. */
function fibonacci(): Uint8Array {
  const out: number[] = [];
  let a = 1;
  let b = 1;
  for (let s = 0; s < 25; s++) {
    for (let k = 0; k < Math.min(a, 20_000); k++) out.push((s * 9) % 256, (s * 9 + 1) % 256);
    [a, b] = [b, a + b];
  }
  return Uint8Array.from(out);
}

const CASES: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["one byte", Uint8Array.of(7)],
  ["two equal bytes", Uint8Array.of(0, 0)],
  ["four equal bytes", Uint8Array.of(5, 5, 5, 5)],
  ["zeros, 100,000", new Uint8Array(100_000)],
  ["noise, 70,000 (stored blocks)", noise(70_000, 3)],
  ["cell plane 128 x 128", cellPlane(128, 1)],
  ["mask plane 128 x 128", cellPlane(128, 2, true)],
  ["cell plane 40 x 40", cellPlane(40, 3)],
  ["pieces, 300,000 (several blocks)", pieces(300_000, 4)],
  ["Fibonacci frequencies", fibonacci()],
];

describe("deflateRle", () => {
  it("node:zlib inflates every case back to its input", () => {
    for (const [name, src] of CASES) {
      const z = deflateRle(src);
      expect(new Uint8Array(zlib.inflateSync(z)), name).toEqual(src);
    }
  });

  it("h5py reads our streams as HDF5 gzip chunks (libz's inflate), with the checksum checked", () => {
    const file = path.join(dir, "rle.h5");
    const cases = CASES.filter(([, src]) => src.length > 0);
    const got: { values: string[] } = py(
      `
import json, sys, base64, zlib, h5py, numpy as np
inp = json.loads(sys.stdin.read())
values = []
with h5py.File(inp["file"], "w") as f:
    for i, (n, comp) in enumerate(zip(inp["sizes"], inp["streams"])):
        d = f.create_dataset(f"c{i}", shape=(n,), dtype="u1", chunks=(n,), compression="gzip", compression_opts=1)
        d.id.write_direct_chunk((0,), base64.b64decode(comp))
with h5py.File(inp["file"], "r") as f:
    for i in range(len(inp["sizes"])):
        a = f[f"c{i}"][...].tobytes()
        assert a == zlib.decompress(base64.b64decode(inp["streams"][i]))
        values.append(base64.b64encode(a).decode())
print(json.dumps({"values": values}))
`,
      { file, sizes: cases.map(([, s]) => s.length), streams: cases.map(([, s]) => Buffer.from(deflateRle(s)).toString("base64")) },
    );
    cases.forEach(([name, src], i) => {
      expect(new Uint8Array(Buffer.from(got.values[i], "base64")), name).toEqual(src);
    });
  });

  it("500 random inputs of runs and noise come back whole", () => {
    const rnd = lcg(11);
    for (let k = 0; k < 500; k++) {
      const src = pieces(rnd() % 5000, k);
      expect(new Uint8Array(zlib.inflateSync(deflateRle(src))), `input ${k}`).toEqual(src);
    }
  });

  it("is as small as zlib's Z_RLE level 1 on cell planes (within 0.5%), and never larger than stored blocks", () => {
    let ours = 0;
    let theirs = 0;
    for (let seed = 0; seed < 40; seed++) {
      const plane = cellPlane(128, seed, seed % 5 === 0);
      ours += deflateRle(plane).length;
      theirs += zlib.deflateSync(plane, { level: 1, strategy: zlib.constants.Z_RLE }).length;
    }
    expect(ours / theirs).toBeGreaterThan(0.99);
    expect(ours / theirs).toBeLessThan(1.005);
    const random = noise(200_000, 9);
    // stored: 5 bytes a 65,535-byte piece, a piece per block of 32,768 symbols at worst; header and checksum 6
    expect(deflateRle(random).length).toBeLessThanOrEqual(random.length + 5 * 7 + 6);
  });

  it("writes into a given array where the stream fits (a view of it, the same bytes), a new one where not", () => {
    const rnd = lcg(5);
    const into = new Uint8Array(deflateBound(70_000));
    for (let k = 0; k < 60; k++) {
      const src = k % 10 === 9 ? noise(70_000, k) : pieces(rnd() % 70_000, k);
      const fresh = deflateRle(src);
      const got = deflateRle(src, into);
      expect(got.buffer).toBe(into.buffer);
      expect(got.byteOffset).toBe(0);
      expect(got).toEqual(fresh);
      // incompressible input: the bound is what it takes
      if (k % 10 === 9) expect(got.length).toBeLessThanOrEqual(deflateBound(src.length));
    }
    const small = new Uint8Array(8);
    const src = pieces(5000, 3);
    const out = deflateRle(src, small);
    expect(out.buffer).not.toBe(small.buffer);
    expect(new Uint8Array(zlib.inflateSync(out))).toEqual(src);
    // deflateSync({ rle, into }) passes it on
    expect(deflateSync(src, "zlib", { rle: true, into }).buffer).toBe(into.buffer);
  });

  it("computes zlib's Adler-32 over the SIMD steps and the 5,552-byte reductions", () => {
    const { adler32 } = kernels();
    const src = noise(100_000, 5);
    const ones = new Uint8Array(20_000).fill(255); // the sums' worst case
    for (const data of [src, ones]) {
      for (const n of [0, 1, 15, 16, 17, 31, 5551, 5552, 5553, 5568, 11_104, 20_000]) {
        const part = data.subarray(0, n);
        const z = zlib.deflateSync(part);
        expect(adler32(part), `${n} bytes`).toBe(z.readUInt32BE(z.length - 4));
      }
    }
    // continued from a previous value, as zlib's adler32(adler, buf) is
    const z = zlib.deflateSync(src.subarray(0, 30_000));
    expect(adler32(src.subarray(10_000, 30_000), adler32(src.subarray(0, 10_000)))).toBe(z.readUInt32BE(z.length - 4));
  });

  it("deflateSync({ rle }) is this encoder with any backend, the browser's asynchronous one too", () => {
    const plane = cellPlane(128, 7);
    const want = deflateRle(plane);
    // Node's backend: rle is ours, the default strategy node:zlib's
    expect(deflateSync(plane, "zlib", { level: 1, rle: true })).toEqual(want);
    expect(new Uint8Array(zlib.inflateSync(deflateSync(plane, "zlib", { level: 1 })))).toEqual(plane);
    setZlibBackend(webStreamsBackend);
    try {
      expect(deflateSync(plane, "zlib", { level: 1, rle: true })).toEqual(want);
      expect(() => deflateSync(plane, "zlib", { level: 1 })).toThrow(/asynchronous only/);
    } finally {
      setZlibBackend(nodeZlibBackend);
    }
  });
});
