// The WebAssembly SIMD kernels against the JavaScript ones they replace: the
// same float16 bits for every value of every stack, on synthetic slides (both
// presets, every pixel type the WebAssembly path takes, the image border, the
// rare branches: unscaled planes with negative, huge and -0 values, supports
// covering the whole crop) and on the real cells of test-data/sample. The
// JavaScript kernels are themselves checked against NumPy / SciPy in
// extract-cell.test.ts and kernels.test.ts, which run both kernel sets.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CellInfo,
  createScratch,
  extractCell,
  findCells,
  maskCount,
  type Window,
  wasmKernelsAvailable,
  windowRoom,
} from "../../src/extract-cell.js";
import { openImageSource } from "../../src/inputs/index.js";
import { extract } from "../../src/pipeline.js";
import { type ExtractionParams, resolveParams } from "../../src/presets.js";
import { kernelsFromEnv } from "../../src/worker-pool.js";
import { makeSlide, type SyntheticSlide } from "./synthetic-slide.js";

const SAMPLE = path.resolve(import.meta.dirname, "../../../../test-data/sample");

/**
 * Every cell of the window extracted by both kernel sets, the WebAssembly ones
 * twice: copying each crop out of the window, and with the window loaded into
 * their memory (Scratch.loadWindow, crops read in place); the first differing
 * value, or null.
 */
function compare(win: Window, cells: CellInfo[], params: ExtractionParams): { cells: number; firstDiff: string | null } {
  const C = win.channels.length;
  const S = params.size;
  const per = (maskCount(params, win.cytosol !== null) + C) * S * S;
  const js = createScratch(params, C, "js");
  const wasm = createScratch(params, C, "wasm");
  const inPlace = createScratch(params, C, "wasm", windowRoom(C, win.height * win.width, 4));
  expect(js.wasm).toBeNull();
  expect(wasm.wasm).not.toBeNull();
  const loaded = inPlace.loadWindow(win);
  expect(loaded).not.toBe(win);
  const a = new Uint16Array(per);
  const b = new Uint16Array(per);
  const c = new Uint16Array(per);
  let n = 0;
  for (const cell of cells) {
    a.fill(0xffff);
    b.fill(0xfffe);
    c.fill(0xfffd);
    const ra = extractCell(win, cell, params, js, a);
    const rb = extractCell(win, cell, params, wasm, b);
    const rc = extractCell(loaded, cell, params, inPlace, c);
    expect(rb.cytosolMissing).toBe(ra.cytosolMissing);
    expect(rc.cytosolMissing).toBe(ra.cytosolMissing);
    for (let i = 0; i < per; i++) {
      if (a[i] !== b[i] || a[i] !== c[i]) {
        const p = i % (S * S);
        return {
          cells: n,
          firstDiff: `cell ${cell.id} plane ${Math.floor(i / (S * S))} (y ${Math.floor(p / S)}, x ${p % S}): js 0x${a[i].toString(16)}, wasm 0x${b[i].toString(16)}, in place 0x${c[i].toString(16)}`,
        };
      }
    }
    n++;
  }
  return { cells: n, firstDiff: null };
}

function slideWindow(s: SyntheticSlide, withCytosol = true): Window {
  return {
    y0: 0,
    x0: 0,
    height: s.height,
    width: s.width,
    imageHeight: s.height,
    imageWidth: s.width,
    channels: s.channels,
    nucleus: s.nucleus,
    cytosol: withCytosol ? s.cytosol : null,
  };
}

interface Case {
  name: string;
  params: Partial<ExtractionParams>;
  dtype?: "uint8" | "uint16" | "float32";
  cytosol?: boolean;
  slide?: { height: number; width: number; spacing: number; maxRadius?: number };
  mutate?: (s: SyntheticSlide) => void;
}

const cases: Case[] = [
  { name: "classic S=128 pad, uint16 (the bench's cells)", params: { preset: "classic", size: 128, border: "pad" }, slide: { height: 300, width: 330, spacing: 44, maxRadius: 11 } },
  { name: "classic S=48 sigma 2 disk 3, uint8", params: { preset: "classic", size: 48, sigma: 2, dilation: 3 }, dtype: "uint8" },
  { name: "classic S=64 pad, float32", params: { preset: "classic", size: 64, border: "pad" }, dtype: "float32" },
  { name: "classic S=40 without cytosol, nuclear channel 1", params: { preset: "classic", size: 40, nuclearChannel: 1 }, cytosol: false },
  { name: "classic S=16 sigma 1.5: supports covering the whole crop", params: { preset: "classic", size: 16, sigma: 1.5, dilation: 2, border: "pad" }, slide: { height: 100, width: 100, spacing: 30, maxRadius: 11 } },
  { name: "classic S=30 odd widths, quantiles 0.02 / 0.98", params: { preset: "classic", size: 30, sigma: 3, quantiles: [0.02, 0.98], border: "pad" } },
  { name: "classic S=40 pad, quantiles 0.05 / 0.95 (lists of 81 values)", params: { preset: "classic", size: 40, quantiles: [0.05, 0.95], border: "pad" }, dtype: "uint8" },
  {
    name: "classic S=16 float32, unscaled planes of negative, huge and -0 values (the scalar float16 branch, signed zeros)",
    params: { preset: "classic", size: 16, sigma: 3, border: "pad" },
    dtype: "float32",
    slide: { height: 90, width: 90, spacing: 30, maxRadius: 9 },
    mutate: (s) => {
      s.channels[0].fill(-3.5);
      s.channels[1].fill(1e5);
      s.channels[2].fill(-0);
    },
  },
  {
    name: "classic S=512 pad: quantile lists longer than the WebAssembly ones (JavaScript selection on the copy)",
    params: { preset: "classic", size: 512, border: "pad" },
    slide: { height: 140, width: 150, spacing: 44 },
  },
  { name: "scportrait S=128 pad, uint16", params: { preset: "scportrait", size: 128, border: "pad" }, slide: { height: 300, width: 330, spacing: 44, maxRadius: 11 } },
  { name: "scportrait S=50 sigma 2 pad, uint8", params: { preset: "scportrait", size: 50, sigma: 2, border: "pad" }, dtype: "uint8" },
  { name: "scportrait S=36 float32 without cytosol, quantiles 0.02 / 0.98", params: { preset: "scportrait", size: 36, quantiles: [0.02, 0.98] }, dtype: "float32", cytosol: false },
  {
    name: "scportrait S=32 pad, constant and zero channels (hi == lo)",
    params: { preset: "scportrait", size: 32, border: "pad" },
    mutate: (s) => {
      s.channels[1].fill(7);
      s.channels[2].fill(0);
    },
  },
];

describe.runIf(wasmKernelsAvailable())("WebAssembly kernels give the JavaScript kernels' bits", () => {
  cases.forEach((c, k) => {
    it(c.name, () => {
      const params = resolveParams(c.params);
      const sl = c.slide ?? { height: 110, width: 130, spacing: 26 };
      const slide = makeSlide({ ...sl, nChannels: 3, dtype: c.dtype ?? "uint16", seed: 100 + k });
      c.mutate?.(slide);
      const cells = findCells(slide.nucleus, slide.height, slide.width);
      const r = compare(slideWindow(slide, c.cytosol ?? true), cells, params);
      expect(r.firstDiff).toBeNull();
      expect(r.cells).toBeGreaterThan(3);
    });
  });

  it("a window of int16 and int8 channels off the image's origin, loaded in place; one too large for the room stays where it is", () => {
    const params = resolveParams({ preset: "classic", size: 40, border: "pad" });
    const slide = makeSlide({ height: 150, width: 170, spacing: 26, nChannels: 3, dtype: "uint16", seed: 31 });
    // rows 30-119, columns 20-149 of the slide, as a window; channels as int16 (some negative) and int8
    const [y0, x0, h, w] = [30, 20, 90, 130];
    const cut = <A extends Int8Array | Int16Array | Uint16Array | Int32Array>(plane: ArrayLike<number>, make: (n: number) => A, f: (v: number) => number): A => {
      const out = make(h * w);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = f(plane[(y0 + y) * slide.width + x0 + x]);
      return out;
    };
    const channels = [
      cut(slide.channels[0], (n) => new Int16Array(n), (v) => v - 30000),
      cut(slide.channels[1], (n) => new Int8Array(n), (v) => (v % 256) - 128),
      cut(slide.channels[2], (n) => new Uint16Array(n), (v) => v),
    ];
    const win: Window = {
      y0,
      x0,
      height: h,
      width: w,
      imageHeight: slide.height,
      imageWidth: slide.width,
      channels,
      nucleus: cut(slide.nucleus, (n) => new Int32Array(n), (v) => v),
      cytosol: cut(slide.cytosol, (n) => new Int32Array(n), (v) => v),
    };
    // cells whose crop lies in the window (pad: those near the image's edge reach outside it)
    const cells = findCells(slide.nucleus, slide.height, slide.width).filter((c) => c.cy - 20 >= Math.max(0, y0) && c.cy + 20 <= y0 + h && c.cx - 20 >= x0 && c.cx + 20 <= x0 + w);
    const r = compare(win, cells, params);
    expect(r.firstDiff).toBeNull();
    expect(r.cells).toBeGreaterThan(3);
    const small = createScratch(params, 3, "wasm", h * w * 2);
    expect(small.loadWindow(win)).toBe(win);
  });

  it("random uint16 noise with random masks (many quantile inserts, ragged supports)", () => {
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const H = 160;
    const W = 170;
    const image = [0, 1, 2].map(() => Uint16Array.from({ length: H * W }, () => Math.floor(rand() * 65536)));
    const nucleus = new Int32Array(H * W);
    const cytosol = new Int32Array(H * W);
    for (let i = 0; i < H * W; i++) {
      const v = rand();
      nucleus[i] = v < 0.02 ? 1 + Math.floor(rand() * 5) : 0;
      cytosol[i] = v < 0.06 ? 1 + Math.floor(rand() * 5) : 0;
    }
    const win: Window = { y0: 0, x0: 0, height: H, width: W, imageHeight: H, imageWidth: W, channels: image, nucleus, cytosol };
    const cells = findCells(nucleus, H, W);
    for (const preset of ["classic", "scportrait"] as const) {
      const r = compare(win, cells, resolveParams({ preset, size: 64, border: "pad" }));
      expect(r.firstDiff).toBeNull();
      expect(r.cells).toBe(5);
    }
  });

  it("the real cells of test-data/sample, both presets, S = 48 and 128 (pad)", async () => {
    const image = await openImageSource(path.join(SAMPLE, "image.tif"));
    const nuc = await openImageSource(path.join(SAMPLE, "nucleus.tif"));
    const cyt = await openImageSource(path.join(SAMPLE, "cytosol.tif"));
    const { height: H, width: W } = image;
    const win: Window = {
      y0: 0,
      x0: 0,
      height: H,
      width: W,
      imageHeight: H,
      imageWidth: W,
      channels: await image.readWindow(0, 0, H, W),
      nucleus: (await nuc.readWindow(0, 0, H, W))[0],
      cytosol: (await cyt.readWindow(0, 0, H, W))[0],
    };
    await Promise.all([image.close(), nuc.close(), cyt.close()]);
    expect(win.channels[0]).toBeInstanceOf(Uint8Array);
    const cells = findCells(win.nucleus, H, W);
    expect(cells.length).toBe(291);
    for (const preset of ["classic", "scportrait"] as const) {
      for (const size of [48, 128]) {
        const r = compare(win, cells, resolveParams({ preset, size, border: "pad" }));
        expect(r.firstDiff).toBeNull();
        expect(r.cells).toBe(291);
      }
    }
  });
});

describe.runIf(wasmKernelsAvailable())("quantile lists of integer pixels read in place (WasmKernels.selectIn)", () => {
  // The oracle is a sort of the same multiset: the kLo smallest ascending, the kHi largest descending.
  const expectLists = (values: number[], zeros: number, kLo: number, kHi: number, low: Float64Array, high: Float64Array) => {
    const all = [...values, ...new Array<number>(zeros).fill(0)].sort((a, b) => a - b);
    expect(Array.from(low.subarray(0, kLo))).toEqual(all.slice(0, kLo));
    expect(Array.from(high.subarray(0, kHi))).toEqual(all.slice(all.length - kHi).reverse());
  };
  let seed = 11;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  // pixel orders that make the lists work: every value a new extreme (ascending, descending), ties at the ends of the type
  const orders: Record<string, (i: number, n: number, max: number) => number> = {
    random: (_i, _n, max) => Math.floor(rand() * (max + 1)),
    ascending: (i, n, max) => Math.floor((i * max) / (n - 1)),
    descending: (i, n, max) => max - Math.floor((i * max) / (n - 1)),
    "only the type's extremes": (_i, _n, max) => (rand() < 0.5 ? 0 : max),
    constant: (_i, _n, max) => max >> 1,
  };
  for (const [T, max] of [
    [Uint16Array, 65535],
    [Uint8Array, 255],
  ] as const) {
    for (const [order, value] of Object.entries(orders)) {
      it(`${T.name}, ${order}: lists of 1 to 96 values, rows of a window inside a wider plane, zeros for the crop's part outside the image`, () => {
        const params = resolveParams({ preset: "classic", size: 64 });
        const H = 70;
        const W = 75;
        const s = createScratch(params, 1, "wasm", windowRoom(1, H * W, 2));
        const w = s.wasm;
        if (!w) throw new Error("no WebAssembly kernels");
        const n = H * W;
        const plane = new T(n);
        for (let i = 0; i < n; i++) plane[i] = value(i, n, max);
        const loaded = w.loadChannels([plane]);
        if (!loaded) throw new Error("the plane did not load");
        // valid part: rows 3..3+rows, columns 5..5+cols of the crop at (dy, dx) = (1, 2)
        for (const [rows, cols] of [
          [61, 67],
          [1, 33],
          [40, 7],
          [2, 64],
        ] as const) {
          const values: number[] = [];
          for (let y = 3; y < 3 + rows; y++) for (let x = 5; x < 5 + cols; x++) values.push(plane[(y + 1) * W + x + 2]);
          for (const zeros of [0, 5, 200]) {
            for (const [kLo, kHi] of [
              [1, 1],
              [18, 18],
              [8, 9],
              [24, 25],
              [81, 96],
            ] as const) {
              if (kLo > values.length + zeros || kHi > values.length + zeros) continue;
              w.low.fill(-1);
              w.high.fill(-1);
              expect(w.selectIn(loaded[0], W, 1, 2, { y0: 3, y1: 3 + rows, x0: 5, x1: 5 + cols }, values.length + zeros, kLo, kHi)).toBe(true);
              expectLists(values, zeros, kLo, kHi, w.low, w.high);
            }
          }
        }
        // nothing in the image: zeros only
        expect(w.selectIn(loaded[0], W, 1, 2, { y0: 0, y1: 0, x0: 0, x1: 0 }, 50, 18, 18)).toBe(true);
        expectLists([], 50, 18, 18, w.low, w.high);
        // a plane outside the kernels' memory is not read here
        expect(w.selectIn(plane, W, 1, 2, { y0: 3, y1: 10, x0: 5, x1: 10 }, 35, 18, 18)).toBe(false);
      });
    }
  }
});

describe("kernel choice", () => {
  it("auto takes WebAssembly where it runs; js keeps the JavaScript kernels", () => {
    const params = resolveParams({ preset: "classic", size: 32 });
    expect(createScratch(params, 1).wasm !== null).toBe(wasmKernelsAvailable());
    expect(createScratch(params, 1, "js").wasm).toBeNull();
    // Node >= 20 has WebAssembly SIMD: the default path of the CLI is the WebAssembly one
    expect(wasmKernelsAvailable()).toBe(true);
  });
});

describe("CELLFOLIO_KERNELS", () => {
  const saved = process.env.CELLFOLIO_KERNELS;
  afterEach(() => {
    if (saved === undefined) delete process.env.CELLFOLIO_KERNELS;
    else process.env.CELLFOLIO_KERNELS = saved;
  });

  it("auto by default; a value other than auto, wasm or js is refused naming the variable", () => {
    delete process.env.CELLFOLIO_KERNELS;
    expect(kernelsFromEnv()).toBe("auto");
    process.env.CELLFOLIO_KERNELS = "simd";
    expect(() => kernelsFromEnv()).toThrow(/CELLFOLIO_KERNELS: "simd"; expected auto, wasm or js/);
  });

  it("extract() of the sample writes the same file with js and wasm kernels, on the calling thread and on workers", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-kernels-env-"));
    try {
      const files: Buffer[] = [];
      for (const [kernels, threads] of [
        ["js", 0],
        ["wasm", 0],
        ["wasm", 2],
      ] as const) {
        process.env.CELLFOLIO_KERNELS = kernels;
        const out = path.join(dir, `${kernels}-${threads}.h5sc`);
        const summary = await extract({
          image: path.join(SAMPLE, "image.tif"),
          nucleus: path.join(SAMPLE, "nucleus.tif"),
          cytosol: path.join(SAMPLE, "cytosol.tif"),
          out,
          size: 48,
          threads,
        });
        expect(summary.cellsWritten).toBe(228);
        files.push(readFileSync(out));
      }
      expect(files[1].equals(files[0])).toBe(true);
      expect(files[2].equals(files[0])).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
