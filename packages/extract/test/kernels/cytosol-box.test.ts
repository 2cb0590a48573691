// The cytosol's box from the masks' scan (masks.ts) and its use in
// extractCell: the box is the tight box of the cell's cytosol label (across
// bands, and where a run of the label crosses a row end), and a crop that looks only inside it equals one that looks at the whole crop.
import { describe, expect, it } from "vitest";
import { createScratch, extractCell, type Window } from "../../src/extract-cell.js";
import type { ImageSource } from "../../src/inputs/source.js";
import type { CellInfo } from "../../src/kernels/cells.js";
import { type MatchMode, prepareMasks } from "../../src/masks.js";
import { type Preset, resolveParams } from "../../src/presets.js";

const H = 60;
const W = 50;

function source(name: string, data: Int32Array): ImageSource {
  return {
    name,
    height: H,
    width: W,
    channels: 1,
    dtype: "int32",
    async readWindow(y0, x0, h, w) {
      const out = new Int32Array(h * w);
      for (let y = 0; y < h; y++) out.set(data.subarray((y0 + y) * W + x0, (y0 + y) * W + x0 + w), y * w);
      return [out];
    },
    async close() {},
  };
}

function fill(m: Int32Array, y0: number, y1: number, x0: number, x1: number, v: number): void {
  for (let y = y0; y < y1; y++) m.fill(v, y * W + x0, y * W + x1);
}

/** Nuclei 1-4 and their cytosols labelled id + `offset` (nucleus 4 has none). */
function masks(offset: number): { nucleus: Int32Array; cytosol: Int32Array } {
  const nucleus = new Int32Array(H * W);
  const cytosol = new Int32Array(H * W);
  // 1: a cytosol with a separate island far from its nucleus
  fill(cytosol, 3, 12, 3, 12, 1 + offset);
  fill(cytosol, 20, 21, 30, 32, 1 + offset);
  fill(nucleus, 5, 9, 5, 9, 1);
  // 2: a cytosol touching the right edge whose last row runs on into the next row's first pixels
  fill(cytosol, 9, 14, 40, 50, 2 + offset);
  fill(cytosol, 14, 15, 0, 3, 2 + offset);
  fill(nucleus, 10, 13, 44, 48, 2);
  // 3: a tall cytosol over several bands of the scan
  fill(cytosol, 30, 56, 16, 31, 3 + offset);
  fill(nucleus, 40, 45, 20, 25, 3);
  // 4: no cytosol
  fill(nucleus, 24, 27, 40, 43, 4);
  return { nucleus, cytosol };
}

/** The tight box of label v's pixels. */
function tight(m: Int32Array, v: number): { y0: number; x0: number; y1: number; x1: number } {
  let y0 = H;
  let x0 = W;
  let y1 = 0;
  let x1 = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (m[y * W + x] === v) {
        y0 = Math.min(y0, y);
        x0 = Math.min(x0, x);
        y1 = Math.max(y1, y + 1);
        x1 = Math.max(x1, x + 1);
      }
  return { y0, x0, y1, x1 };
}

const cases: { match: MatchMode; offset: number }[] = [
  { match: "ids", offset: 0 },
  { match: "overlap", offset: 100 },
];

describe("the cytosol's box", () => {
  for (const { match, offset } of cases) {
    it(`match ${match}: is the tight box of the cell's cytosol label, across bands and with a run crossing a row end; the same plan from the scan's WebAssembly and JavaScript run finders`, async () => {
      const m = masks(offset);
      // 6 rows a band: the tall cytosol spans five bands; rows 13 and 14 are in one
      const prepare = () => prepareMasks(source("nucleus", m.nucleus), source("cytosol", m.cytosol), { size: 16, border: "pad", match, bandBytes: 6 * W * 8 });
      const saved = process.env.CELLFOLIO_KERNELS;
      process.env.CELLFOLIO_KERNELS = "js";
      let js: Awaited<ReturnType<typeof prepare>>;
      try {
        js = await prepare();
      } finally {
        if (saved === undefined) delete process.env.CELLFOLIO_KERNELS;
        else process.env.CELLFOLIO_KERNELS = saved;
      }
      const prepared = await prepare();
      expect(prepared.plan).toEqual(js.plan);
      expect(prepared.summary).toEqual(js.summary);
      const byId = new Map(prepared.plan.cells.toArray().map((c) => [c.id, c]));
      expect(byId.get(1)?.cytosolBox).toEqual(tight(m.cytosol, 1 + offset));
      expect(byId.get(3)?.cytosolBox).toEqual(tight(m.cytosol, 3 + offset));
      // the run from (13, 40) on into (14, 0..2) covers both edges
      expect(byId.get(2)?.cytosolBox).toEqual({ y0: 9, x0: 0, y1: 15, x1: W });
      expect(byId.get(2)?.cytosolBox).toEqual(tight(m.cytosol, 2 + offset));
      if (match === "ids") expect(byId.get(4)?.cytosolBox).toEqual({ y0: 0, x0: 0, y1: 0, x1: 0 });
      else expect(prepared.plan.excluded).toEqual([4]);
    });
  }

  for (const preset of ["classic", "scportrait"] as Preset[]) {
    for (const kernels of ["wasm", "js"] as const) {
      it(`${preset}, ${kernels} kernels: a crop looking only inside the box equals one looking at the whole crop, bit for bit`, async () => {
        const m = masks(100);
        const prepared = await prepareMasks(source("nucleus", m.nucleus), source("cytosol", m.cytosol), { size: 32, border: "pad", match: "overlap" });
        const [cytosol] = await (prepared.cytosol as ImageSource).readWindow(0, 0, H, W);
        let seed = 7;
        const next = () => {
          seed = (seed * 1103515245 + 12345) >>> 0;
          return seed >>> 20;
        };
        const channels = [0, 1].map(() => Uint16Array.from({ length: H * W }, next));
        const win: Window = { y0: 0, x0: 0, height: H, width: W, imageHeight: H, imageWidth: W, channels, nucleus: m.nucleus, cytosol: cytosol as Int32Array };
        const params = resolveParams({ preset, size: 32, border: "pad" });
        const scratch = createScratch(params, 2, kernels);
        const n = 4 * 32 * 32;
        expect(prepared.plan.cells.toArray().map((c) => c.id)).toEqual([1, 2, 3]);
        for (const cell of prepared.plan.cells.toArray()) {
          expect(cell.cytosolBox).toBeDefined();
          const boxed = new Uint16Array(n);
          const whole = new Uint16Array(n);
          const a = extractCell(win, cell, params, scratch, boxed);
          const b = extractCell(win, { ...cell, cytosolBox: undefined } as CellInfo, params, scratch, whole);
          expect(a).toEqual(b);
          expect(a.cytosolMissing).toBe(false);
          expect(boxed.some((v, i) => i >= 32 * 32 && i < 2 * 32 * 32 && v !== 0)).toBe(true); // a cytosol plane was written
          expect(Buffer.from(boxed.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
        }
        // an empty box: the cytosol is missing, as when the whole crop holds none of it
        const cell = prepared.plan.cells.get(0);
        const out = new Uint16Array(n);
        expect(extractCell(win, { ...cell, cytosolBox: { y0: 0, x0: 0, y1: 0, x1: 0 } }, params, scratch, out).cytosolMissing).toBe(true);
      });
    }
  }
});
