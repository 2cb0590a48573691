// extractCell for both presets against reference/extract_reference.py (NumPy /
// SciPy / skimage, float64, whole crop) on synthetic slides: every pixel of every
// cell within float16 precision (atol 1e-3).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { type CellInfo, createScratch, extractCell, findCells, maskCount, type Window } from "../../src/extract-cell.js";
import { fromHalf } from "../../src/kernels/float16.js";
import { cropInside, type ExtractionParams, resolveParams } from "../../src/presets.js";
import { makeSlide, type SyntheticSlide } from "./synthetic-slide.js";

const REFERENCE = path.resolve(import.meta.dirname, "../../reference/extract_reference.py");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-kernels-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface RefResult {
  ids: number[];
  centroids: [number, number][];
  cytosol_missing: number[];
  dropped: number[];
  stacks: Uint16Array;
}

let serial = 0;
function reference(slide: SyntheticSlide, params: ExtractionParams, withCytosol: boolean, dtype: string): RefResult {
  const tag = `s${serial++}`;
  const { height: H, width: W } = slide;
  const C = slide.channels.length;
  const img = Buffer.concat(slide.channels.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  const files = { image: path.join(dir, `${tag}.img`), nucleus: path.join(dir, `${tag}.nuc`), cytosol: path.join(dir, `${tag}.cyt`), out: path.join(dir, `${tag}.out`) };
  writeFileSync(files.image, img);
  writeFileSync(files.nucleus, Buffer.from(slide.nucleus.buffer));
  writeFileSync(files.cytosol, Buffer.from(slide.cytosol.buffer));
  const manifest = {
    image: files.image,
    dtype,
    channels: C,
    height: H,
    width: W,
    nucleus: files.nucleus,
    nucleus_dtype: "int32",
    cytosol: withCytosol ? files.cytosol : null,
    cytosol_dtype: "int32",
    params,
    ids: null,
    out: files.out,
  };
  const res = py(
    `import sys, json
sys.path.insert(0, ${JSON.stringify(path.dirname(REFERENCE))})
import extract_reference as R
print(json.dumps(R.run(json.loads(sys.stdin.read()))))`,
    manifest,
  );
  const raw = readFileSync(files.out);
  return { ...res, stacks: new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2) };
}

/** The window of the slide covering the cell's crop, clipped to the image (as the pipeline cuts them). */
function windowFor(slide: SyntheticSlide, cell: CellInfo, S: number, withCytosol: boolean, margin: number): Window {
  const { height: H, width: W } = slide;
  const y0 = Math.max(0, cell.cy - S / 2 - margin);
  const x0 = Math.max(0, cell.cx - S / 2 - margin);
  const y1 = Math.min(H, cell.cy + S / 2 + margin);
  const x1 = Math.min(W, cell.cx + S / 2 + margin);
  const h = y1 - y0;
  const w = x1 - x0;
  const cut = <T extends Int32Array | Uint8Array | Uint16Array | Float32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(h * w);
    for (let y = 0; y < h; y++) out.set(a.subarray((y0 + y) * W + x0, (y0 + y) * W + x1) as never, y * w);
    return out;
  };
  return {
    y0,
    x0,
    height: h,
    width: w,
    imageHeight: H,
    imageWidth: W,
    channels: slide.channels.map(cut),
    nucleus: cut(slide.nucleus),
    cytosol: withCytosol ? cut(slide.cytosol) : null,
  };
}

interface Case {
  name: string;
  params: Partial<ExtractionParams>;
  dtype?: "uint8" | "uint16" | "float32";
  cytosol?: boolean;
  slide?: { height: number; width: number; spacing: number; maxRadius?: number };
  /** Changes to the slide before extraction (constant channels and the like). */
  mutate?: (s: SyntheticSlide) => void;
}

/** Channel 1 constant (hi == lo everywhere), channel 2 all zero. */
const flatChannels = (s: SyntheticSlide) => {
  s.channels[1].fill(7);
  s.channels[2].fill(0);
};

const cases: Case[] = [
  { name: "classic S=32 sigma 5 (kernel wider than the crop)", params: { preset: "classic", size: 32 } },
  { name: "classic S=48 sigma 2 disk 3, uint8", params: { preset: "classic", size: 48, sigma: 2, dilation: 3 }, dtype: "uint8" },
  { name: "classic S=64 pad, float32", params: { preset: "classic", size: 64, border: "pad" }, dtype: "float32" },
  { name: "classic S=40 without cytosol, nuclear channel 1", params: { preset: "classic", size: 40, nuclearChannel: 1 }, cytosol: false },
  {
    name: "classic S=128 sigma 5, big cells, pad",
    params: { preset: "classic", size: 128, border: "pad" },
    slide: { height: 150, width: 170, spacing: 56, maxRadius: 14 },
  },
  { name: "classic S=16: nuclei wider than the crop", params: { preset: "classic", size: 16, sigma: 1.5, dilation: 2 }, slide: { height: 100, width: 100, spacing: 30, maxRadius: 11 } },
  { name: "classic S=32 pad, constant and zero channels (hi == lo)", params: { preset: "classic", size: 32, border: "pad" }, mutate: flatChannels },
  { name: "classic S=96 pad on a 60 x 70 image (crop larger than the image)", params: { preset: "classic", size: 96, border: "pad" }, slide: { height: 60, width: 70, spacing: 22 } },
  { name: "scportrait S=32", params: { preset: "scportrait", size: 32 } },
  { name: "scportrait S=16 pad: nuclei wider than the crop", params: { preset: "scportrait", size: 16, border: "pad" }, slide: { height: 100, width: 100, spacing: 30, maxRadius: 11 } },
  { name: "scportrait S=32 pad, constant and zero channels", params: { preset: "scportrait", size: 32, border: "pad" }, mutate: flatChannels },
  { name: "scportrait S=50 sigma 2 pad, uint8", params: { preset: "scportrait", size: 50, sigma: 2, border: "pad" }, dtype: "uint8" },
  { name: "scportrait S=36 without cytosol, quantiles 0.02 / 0.98", params: { preset: "scportrait", size: 36, quantiles: [0.02, 0.98] }, cytosol: false },
];

describe.each(["wasm", "js"] as const)("extractCell (%s kernels) against extract_reference.py, every pixel within 1e-3", (kernels) => {
  for (const c of cases) {
    it(c.name, () => {
      const params = resolveParams(c.params);
      const S = params.size;
      const withCyto = c.cytosol ?? true;
      const dtype = c.dtype ?? "uint16";
      const sl = c.slide ?? { height: 110, width: 130, spacing: 26 };
      const slide = makeSlide({ ...sl, nChannels: 3, dtype, seed: serial + 1 });
      c.mutate?.(slide);
      const ref = reference(slide, params, withCyto, dtype);

      const cells = findCells(slide.nucleus, slide.height, slide.width);
      const kept = cells.filter((cell) => params.border === "pad" || cropInside(cell.cy, cell.cx, slide.height, slide.width, S));
      expect(kept.map((k) => k.id)).toEqual(ref.ids);
      expect(cells.filter((k) => !kept.includes(k)).map((k) => k.id)).toEqual(ref.dropped);
      expect(kept.length).toBeGreaterThan(3);
      kept.forEach((k, i) => {
        expect(k.centroidY).toBeCloseTo(ref.centroids[i][0], 9);
        expect(k.centroidX).toBeCloseTo(ref.centroids[i][1], 9);
      });

      const nM = maskCount(params, withCyto);
      const per = (nM + 3) * S * S;
      expect(ref.stacks.length).toBe(kept.length * per);
      const scratch = createScratch(params, 3, kernels);
      const out = new Uint16Array(per);
      const missing: number[] = [];
      let worst = 0;
      let worstAt = "";
      let nonzero = 0;
      kept.forEach((cell, i) => {
        out.fill(0xffff); // every value must be written
        const win = windowFor(slide, cell, S, withCyto, i % 3); // windows with and without margin
        if (extractCell(win, cell, params, scratch, out).cytosolMissing) missing.push(cell.id);
        for (let j = 0; j < per; j++) {
          const a = fromHalf(out[j]);
          const b = fromHalf(ref.stacks[i * per + j]);
          if (b !== 0) nonzero++;
          const e = Number.isNaN(a) ? Number.POSITIVE_INFINITY : Math.abs(a - b);
          if (e > worst) {
            worst = e;
            const plane = Math.floor(j / (S * S));
            const p = j % (S * S);
            worstAt = `cell ${cell.id} plane ${plane} (y ${Math.floor(p / S)}, x ${p % S}): ours ${a}, reference ${b}`;
          }
        }
      });
      expect(worst, worstAt).toBeLessThanOrEqual(1e-3);
      expect(missing).toEqual(withCyto ? ref.cytosol_missing : []);
      expect(nonzero).toBeGreaterThan(kept.length * S * 4); // the stacks are not trivially empty
    });
  }
});

describe("parameters", () => {
  it("defaults per preset and clear errors", () => {
    expect(resolveParams({})).toMatchObject({ preset: "classic", size: 128, sigma: 5, dilation: 6, quantiles: [0.001, 0.999], nuclearChannel: 0, border: "drop" });
    expect(resolveParams({ preset: "scportrait" }).sigma).toBe(1);
    expect(() => resolveParams({ size: 31 })).toThrow(/size.*even/);
    expect(() => resolveParams({ sigma: 0 })).toThrow(/sigma/);
    expect(() => resolveParams({ quantiles: [0.9, 0.1] })).toThrow(/quantiles/);
    expect(() => resolveParams({ nuclearChannel: 3 }, 3)).toThrow(/nuclearChannel.*3 channel/);
    expect(() => resolveParams({ border: "wrap" as never })).toThrow(/border/);
    expect(() => resolveParams({ preset: "fancy" as never })).toThrow(/preset/);
    expect(() => createScratch(resolveParams({ nuclearChannel: 2 }), 2)).toThrow(/nuclearChannel.*2 channel/);
    const slide = makeSlide({ height: 40, width: 40, spacing: 20 });
    const [cell] = findCells(slide.nucleus, 40, 40);
    const win: Window = { y0: 0, x0: 0, height: 40, width: 40, imageHeight: 40, imageWidth: 40, channels: slide.channels, nucleus: slide.nucleus, cytosol: null };
    const scratch = createScratch(resolveParams({ size: 16 }), 3);
    expect(() => extractCell(win, cell, resolveParams({ size: 16, sigma: 2 }), scratch, new Uint16Array(4 * 256))).toThrow(/other parameters/);
    expect(() => extractCell(win, cell, resolveParams({ size: 16 }), scratch, new Uint16Array(10))).toThrow(/needs 1024/);
  });
});
