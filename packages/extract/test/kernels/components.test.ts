// Connected components of binary masks as runs, against skimage.measure.label
// (Debian 12's scikit-image): the same labels pixel for pixel, with the
// default connectivity (8) and with connectivity=1, whatever the band height
// the rows come in; windows of the labelled mask read back the same pixels.
import { describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { fillLabelWindow, RunLabeller } from "../../src/kernels/components.js";
import { rng } from "./synthetic-slide.js";

function randomMask(h: number, w: number, density: number, seed: number): Uint8Array {
  const rand = rng(seed);
  const m = new Uint8Array(h * w);
  for (let i = 0; i < m.length; i++) m[i] = rand() < density ? 255 : 0;
  return m;
}

function skimageLabels(m: Uint8Array, h: number, w: number, connectivity: 1 | 2): number[] {
  return py(
    `
import json, sys, numpy as np
from skimage.measure import label
p = json.loads(sys.stdin.read())
a = np.array(p["m"], np.uint8).reshape(p["h"], p["w"])
print(json.dumps(label(a, connectivity=p["c"]).ravel().tolist()))`,
    { m: Array.from(m), h, w, c: connectivity },
  );
}

function runLabels(m: Uint8Array, h: number, w: number, band: number, connectivity: 1 | 2 = 2) {
  const l = new RunLabeller(h, w, connectivity);
  for (let y0 = 0; y0 < h; y0 += band) {
    const n = Math.min(band, h - y0);
    l.addRows(m.subarray(y0 * w, (y0 + n) * w), n);
  }
  return l.finish();
}

describe("RunLabeller", () => {
  const cases = [
    { h: 40, w: 57, density: 0.3, seed: 1 },
    { h: 64, w: 31, density: 0.55, seed: 2 },
    { h: 23, w: 90, density: 0.7, seed: 3 },
    { h: 1, w: 50, density: 0.5, seed: 4 },
    { h: 50, w: 1, density: 0.5, seed: 5 },
  ];
  for (const c of cases) {
    it(`labels a ${c.h} x ${c.w} mask of density ${c.density} as skimage.measure.label does (8- and 4-connectivity)`, () => {
      const m = randomMask(c.h, c.w, c.density, c.seed);
      for (const connectivity of [2, 1] as const) {
        const want = skimageLabels(m, c.h, c.w, connectivity);
        for (const band of [1, 7, c.h]) {
          const r = runLabels(m, c.h, c.w, band, connectivity);
          const got = new Uint32Array(c.h * c.w);
          fillLabelWindow(r, 0, 0, c.h, c.w, got);
          expect(Array.from(got)).toEqual(want);
          expect(r.count).toBe(Math.max(0, ...want));
        }
      }
    });
  }

  it("a U shape is one component numbered by its first pixel; diagonal touches join only with 8-connectivity", () => {
    // 0 0 1 0 1      three arms whose first pixels are in row 0 and 1,
    // 1 0 1 0 1      joined only in row 2: one component, label 1
    // 1 1 1 1 1
    const m = Uint8Array.from([0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1]);
    const r = runLabels(m, 3, 5, 1);
    expect(r.count).toBe(1);
    expect(Array.from(r.label)).toEqual([1, 1, 1, 1, 1, 1]);
    const d = Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(runLabels(d, 3, 3, 1, 2).count).toBe(1);
    expect(runLabels(d, 3, 3, 1, 1).count).toBe(2);
  });

  it("windows read the labelled mask's pixels", () => {
    const h = 45;
    const w = 61;
    const m = randomMask(h, w, 0.45, 9);
    const r = runLabels(m, h, w, 4);
    const full = new Uint32Array(h * w);
    fillLabelWindow(r, 0, 0, h, w, full);
    const rand = rng(3);
    for (let t = 0; t < 50; t++) {
      const y0 = Math.floor(rand() * h);
      const x0 = Math.floor(rand() * w);
      const wh = 1 + Math.floor(rand() * (h - y0));
      const ww = 1 + Math.floor(rand() * (w - x0));
      const out = new Uint32Array(wh * ww).fill(77);
      fillLabelWindow(r, y0, x0, wh, ww, out);
      for (let y = 0; y < wh; y++) for (let x = 0; x < ww; x++) expect(out[y * ww + x]).toBe(full[(y0 + y) * w + x0 + x]);
    }
  });

  it("windows into views of shared and plain buffers at any offset clear what was there and nothing past the window", () => {
    const h = 45;
    const w = 61;
    const r = runLabels(randomMask(h, w, 0.45, 9), h, w, 4);
    const full = new Uint32Array(h * w);
    fillLabelWindow(r, 0, 0, h, w, full);
    for (const Buffer of [ArrayBuffer, SharedArrayBuffer]) {
      for (const T of [Uint16Array, Uint32Array]) {
        // element offsets 0-5 and window widths around 8-byte multiples: every head / middle / tail split of the zeroing
        for (let offset = 0; offset < 6; offset++) {
          for (const [y0, x0, wh, ww] of [
            [0, 0, h, w],
            [3, 5, 20, 17],
            [10, 2, 1, 3],
            [7, 0, 30, 61],
          ]) {
            const n = wh * ww;
            const all = new T(new Buffer((offset + n + 8) * T.BYTES_PER_ELEMENT) as ArrayBuffer).fill(9999);
            const out = all.subarray(offset, offset + n);
            fillLabelWindow(r, y0, x0, wh, ww, out);
            const bad: string[] = [];
            for (let y = 0; y < wh; y++) for (let x = 0; x < ww; x++) if (out[y * ww + x] !== full[(y0 + y) * w + x0 + x]) bad.push(`${y},${x}`);
            expect(bad, `${Buffer.name} ${T.name} offset ${offset} window ${[y0, x0, wh, ww]}`).toEqual([]);
            expect([...all.subarray(0, offset), ...all.subarray(offset + n)].every((v) => v === 9999)).toBe(true);
          }
        }
      }
    }
  });
});
