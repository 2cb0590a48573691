// The masks kept as the plan's runs (inputs/run-mask.ts): every window the
// extraction reads from them equals the same window of the mask itself, for
// every integer pixel type, in the narrowest unsigned type that holds the
// labels; the runs are dropped (the files read again) when they pass their
// budget or the labels are not integers.
import { describe, expect, it } from "vitest";
import { RunMaskSource } from "../../src/inputs/run-mask.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType } from "../../src/inputs/source.js";
import { prepareMasks } from "../../src/masks.js";
import { rng as random } from "../kernels/synthetic-slide.js";

const H = 37;
const W = 45;

function source(name: string, dtype: PixelType, data: PixelArray, height = H, width = W): ImageSource {
  const T = PIXEL_ARRAYS[dtype];
  return {
    name,
    height,
    width,
    channels: 1,
    dtype,
    async readWindow(y0, x0, h, w) {
      const out = new T(h * w);
      for (let y = 0; y < h; y++) out.set(data.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w) as never, y * w);
      return [out];
    },
    async close() {},
  };
}

/**
 * Nuclei as rectangles of ids 1..n and cytosols as larger rectangles of the
 * same ids (overlapping, so runs of several labels meet on a row), plus
 * single pixels, a run crossing a row end, a full first row and the last
 * pixel: `top` is one more label (a type's extreme, or a negative one).
 */
function masks(dtype: PixelType, seed: number, top: number): { nucleus: PixelArray; cytosol: PixelArray } {
  const T = PIXEL_ARRAYS[dtype];
  const nucleus = new T(H * W);
  const cytosol = new T(H * W);
  const r = random(seed);
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, top];
  const rect = (m: PixelArray, y0: number, y1: number, x0: number, x1: number, v: number) => {
    for (let y = Math.max(0, y0); y < Math.min(H, y1); y++) m.fill(v, y * W + Math.max(0, x0), y * W + Math.min(W, x1));
  };
  for (const id of ids) {
    const y = Math.floor(r() * H);
    const x = Math.floor(r() * W);
    const h = 2 + Math.floor(r() * 6);
    const w = 2 + Math.floor(r() * 9);
    rect(cytosol, y - 2, y + h + 2, x - 3, x + w + 3, id);
    rect(nucleus, y, y + h, x, x + w, id);
  }
  nucleus[17 * W + 44] = 3; // a run from a row's last pixel ...
  nucleus[18 * W] = 3; // ... on to the next row's first
  nucleus.fill(2, 0, W); // a full first row
  nucleus[H * W - 1] = top; // the last pixel
  cytosol[H * W - 1] = top;
  for (let k = 0; k < 20; k++) cytosol[Math.floor(r() * H * W)] = ids[k % ids.length]; // single pixels
  return { nucleus, cytosol };
}

/** Windows at the edges, inside, single rows and columns, and the whole mask. */
const WINDOWS: [number, number, number, number][] = [
  [0, 0, H, W],
  [0, 0, 1, 1],
  [H - 1, W - 1, 1, 1],
  [5, 0, 12, W],
  [0, 7, H, 20],
  [11, 13, 9, 17],
  [17, 40, 3, 5],
  [20, 44, 17, 1],
  [36, 0, 1, W],
];

/** A mask's type, its largest label, and the type its runs are read as: the narrowest unsigned one holding the labels. */
const CASES: [PixelType, number, PixelType][] = [
  ["uint8", 255, "uint8"],
  ["int8", 127, "uint8"],
  ["uint16", 65535, "uint16"],
  ["uint16", 255, "uint8"],
  ["int16", 32767, "uint16"],
  ["uint32", 4294967295, "uint32"],
  ["uint32", 65535, "uint16"],
  ["uint32", 65536, "uint32"],
  ["int32", 2147483647, "int32"],
  ["int32", 40000, "uint16"],
];

describe("masks kept as the scan's runs", () => {
  for (const [dtype, top, readAs] of CASES) {
    it(`${dtype} up to ${top}: read as ${readAs}, every window read from the runs equals the mask's own, into a given plane or a new one`, async () => {
      for (const seed of [1, 2, 3]) {
        const m = masks(dtype, seed, top);
        const nucleusIn = source("nucleus.tif", dtype, m.nucleus);
        const cytosolIn = source("cytosol.tif", dtype, m.cytosol);
        // 4 rows a band: runs are found band by band
        const { nucleus, cytosol } = await prepareMasks(nucleusIn, cytosolIn, { size: 8, border: "pad", match: "ids", bandBytes: 4 * W * 8 });
        expect(nucleus).toBeInstanceOf(RunMaskSource);
        expect(cytosol).toBeInstanceOf(RunMaskSource);
        for (const [from, kept] of [
          [nucleusIn, nucleus],
          [cytosolIn, cytosol as ImageSource],
        ] as const) {
          expect([kept.name, kept.height, kept.width, kept.dtype]).toEqual([from.name, H, W, readAs]);
          for (const [y0, x0, h, w] of WINDOWS) {
            const [want] = await from.readWindow(y0, x0, h, w);
            const [got] = await kept.readWindow(y0, x0, h, w);
            expect(got).toBeInstanceOf(PIXEL_ARRAYS[readAs]);
            expect(Array.from(got), `${from.name} seed ${seed} window ${[y0, x0, h, w]}`).toEqual(Array.from(want));
            // into a plane the caller gives, holding old values
            const into = new PIXEL_ARRAYS[readAs](h * w).fill(9);
            const [again] = await kept.readWindow(y0, x0, h, w, [into]);
            expect(again).toBe(into);
            expect(Array.from(into)).toEqual(Array.from(want));
          }
        }
      }
    });
  }

  it("a signed mask holding a negative label (int8 -1, int16 -32768, int32 -7; nucleus or cytosol) is refused by the scan, naming the mask and the label", async () => {
    for (const [dtype, top] of [
      ["int8", -1],
      ["int16", -32768],
      ["int32", -7],
    ] as const) {
      const m = masks(dtype, 1, top);
      const positive = masks(dtype, 1, 9);
      const options = { size: 8, border: "pad" as const, match: "ids" as const, bandBytes: 4 * W * 8 };
      await expect(prepareMasks(source("nucleus.tif", dtype, m.nucleus), source("cytosol.tif", dtype, positive.cytosol), options), dtype).rejects.toThrow(
        `nucleus.tif: the nucleus mask holds 1 negative label(s) (${top}); expected positive integer labels, 0 the background`,
      );
      await expect(prepareMasks(source("nucleus.tif", dtype, positive.nucleus), source("cytosol.tif", dtype, m.cytosol), options), dtype).rejects.toThrow(
        `cytosol.tif: the cytosol mask holds 1 negative label(s) (${top}); expected positive integer labels, 0 the background`,
      );
    }
  });

  it("a mask wider than 65,535 pixels: runs on both sides of column 65,535 and across it, ids past 65,535, read back equal", async () => {
    const h = 3;
    const w = 70_000;
    const nucleus = new Uint32Array(h * w);
    const cytosol = new Uint32Array(h * w);
    nucleus.fill(1, 65_530, 65_545); // across column 65,535
    nucleus.fill(70_000, w + 69_990, w + 70_000); // an id past 16 bits, to the row's end
    nucleus.fill(2, w + 10, w + 20);
    nucleus.fill(3, 2 * w + 65_536, 2 * w + 65_600);
    cytosol.fill(1, 65_500, 65_560);
    cytosol.fill(70_000, w + 69_980, 2 * w + 5); // on to the next row
    cytosol.fill(2, w + 5, w + 25);
    cytosol.fill(3, 2 * w + 65_530, 2 * w + 65_610);
    const nucleusIn = source("nucleus.tif", "uint32", nucleus, h, w);
    const cytosolIn = source("cytosol.tif", "uint32", cytosol, h, w);
    const kept = await prepareMasks(nucleusIn, cytosolIn, { size: 2, border: "pad", match: "ids" });
    expect(kept.nucleus).toBeInstanceOf(RunMaskSource);
    expect(kept.nucleus.dtype).toBe("uint32");
    const windows: [number, number, number, number][] = [
      [0, 0, h, w],
      [0, 65_530, 3, 10],
      [1, 65_535, 2, 1],
      [0, 69_995, 3, 5],
      [2, 65_536, 1, 3_000],
    ];
    for (const [from, got] of [
      [nucleusIn, kept.nucleus],
      [cytosolIn, kept.cytosol as ImageSource],
    ] as const) {
      for (const [y0, x0, wh, ww] of windows) {
        const [a] = await from.readWindow(y0, x0, wh, ww);
        const [b] = await got.readWindow(y0, x0, wh, ww);
        expect(Array.from(b), `${from.name} window ${[y0, x0, wh, ww]}`).toEqual(Array.from(a));
      }
    }
  });

  it("masks of more runs than a page of the recorder (65,536): every window, across the pages' seams, equals the mask's own", async () => {
    // 240 x 1,200 in runs 1-3 pixels long, a fifth of them background: ~115,000 runs, a page and most of another
    const h = 240;
    const w = 1_200;
    for (const [dtype, most] of [
      ["uint16", 60_000],
      ["uint32", 5_000_000],
    ] as const) {
      const r = random(dtype === "uint16" ? 11 : 12);
      const nucleus = new PIXEL_ARRAYS[dtype](h * w);
      for (let i = 0; i < h * w; ) {
        const len = 1 + Math.floor(r() * 3);
        nucleus.fill(r() < 0.2 ? 0 : 1 + Math.floor(r() * most), i, Math.min(h * w, i + len));
        i += len;
      }
      const nucleusIn = source("nucleus.tif", dtype, nucleus, h, w);
      const kept = await prepareMasks(nucleusIn, null, { size: 2, border: "pad", match: "ids", bandBytes: 16 * w * 4 });
      expect(kept.nucleus).toBeInstanceOf(RunMaskSource);
      for (const [y0, x0, wh, ww] of [
        [0, 0, h, w],
        [50, 600, 60, 1],
        [100, 0, 90, w],
        [239, 1_100, 1, 100],
      ]) {
        const [a] = await nucleusIn.readWindow(y0, x0, wh, ww);
        const [b] = await kept.nucleus.readWindow(y0, x0, wh, ww);
        expect(Array.from(b), `${dtype} window ${[y0, x0, wh, ww]}`).toEqual(Array.from(a));
      }
    }
  });

  it("past the budget, or of float labels, the masks are read from their files again, with the same plan", async () => {
    const m = masks("uint16", 5, 65535);
    const nucleusIn = source("nucleus.tif", "uint16", m.nucleus);
    const cytosolIn = source("cytosol.tif", "uint16", m.cytosol);
    const options = { size: 8, border: "pad" as const, match: "ids" as const, bandBytes: 4 * W * 8 };
    const kept = await prepareMasks(nucleusIn, cytosolIn, options);
    const over = await prepareMasks(nucleusIn, cytosolIn, { ...options, keptRuns: 10 });
    expect(over.nucleus).toBe(nucleusIn);
    expect(over.cytosol).toBe(cytosolIn);
    expect(over.plan).toEqual(kept.plan);
    const off = await prepareMasks(nucleusIn, cytosolIn, { ...options, keptRuns: 0 });
    expect(off.nucleus).toBe(nucleusIn);
    const floats = source("nucleus.tif", "float32", Float32Array.from(m.nucleus));
    const fromFloats = await prepareMasks(floats, null, options);
    expect(fromFloats.nucleus).toBe(floats);
    expect(fromFloats.plan.cells.toArray().map((c) => c.id)).toEqual(kept.plan.cells.toArray().map((c) => c.id));
    // a cytosol whose labels cannot be kept: neither mask is
    const mixed = await prepareMasks(nucleusIn, source("cytosol.tif", "float32", Float32Array.from(m.cytosol)), options);
    expect(mixed.nucleus).toBe(nucleusIn);
  });
});
