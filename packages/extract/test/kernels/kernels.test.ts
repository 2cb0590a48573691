// Each kernel alone against scipy / skimage / numpy (Debian 12's python3).
import { describe, expect, it } from "vitest";
import { py } from "../../../../test-utils/oracle.js";
import { CellAccumulator, type CellInfo, findCells } from "../../src/kernels/cells.js";
import { dilateDisk, diskHalfWidths } from "../../src/kernels/dilate.js";
import { fillHoles } from "../../src/kernels/fill-holes.js";
import { fromHalf, halfFromBits, toHalf } from "../../src/kernels/float16.js";
import { blurBinary, GaussianKernel } from "../../src/kernels/gaussian.js";
import { QuantileSelector, quantiles } from "../../src/kernels/quantile.js";
import { emptyRect, type Rect } from "../../src/kernels/rect.js";
import { rng } from "./synthetic-slide.js";

/** Tight box of the ones of a mask. */
function boxOf(mask: Uint8Array, h: number, w: number): Rect {
  const r: Rect = { y0: h, y1: 0, x0: w, x1: 0 };
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (mask[y * w + x]) {
        r.y0 = Math.min(r.y0, y);
        r.y1 = Math.max(r.y1, y + 1);
        r.x0 = Math.min(r.x0, x);
        r.x1 = Math.max(r.x1, x + 1);
      }
  return r.y1 > r.y0 ? r : { y0: 0, y1: 0, x0: 0, x1: 0 };
}

/** Binary masks of several shapes: random blobs (holes included), edge-touching, single pixel, empty, full. */
function maskCases(): { name: string; h: number; w: number; m: Uint8Array }[] {
  const rand = rng(7);
  const cases: { name: string; h: number; w: number; m: Uint8Array }[] = [];
  const blob = (h: number, w: number, cy: number, cx: number, r: number, density: number) => {
    const m = new Uint8Array(h * w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= r * r && rand() < density) m[y * w + x] = 1;
    return m;
  };
  cases.push({ name: "disk in the middle", h: 31, w: 31, m: blob(31, 31, 15, 15, 8, 1) });
  cases.push({ name: "porous blob (holes)", h: 40, w: 33, m: blob(40, 33, 20, 16, 12, 0.75) });
  cases.push({ name: "blob touching the top-left edge", h: 25, w: 37, m: blob(25, 37, 2, 1, 9, 0.9) });
  cases.push({ name: "blob touching the bottom-right edge", h: 37, w: 25, m: blob(37, 25, 35, 24, 10, 0.85) });
  cases.push({ name: "blob covering the plane", h: 16, w: 19, m: blob(16, 19, 8, 9, 30, 0.8) });
  const single = new Uint8Array(21 * 23);
  single[10 * 23 + 11] = 1;
  cases.push({ name: "single pixel", h: 21, w: 23, m: single });
  cases.push({ name: "empty", h: 12, w: 13, m: new Uint8Array(12 * 13) });
  const ring = blob(29, 29, 14, 14, 10, 1);
  for (let i = 0; i < ring.length; i++) if ((Math.floor(i / 29) - 14) ** 2 + ((i % 29) - 14) ** 2 < 25) ring[i] = 0;
  cases.push({ name: "ring (one big hole)", h: 29, w: 29, m: ring });
  return cases;
}

describe("gaussian blur of a binary mask (scipy gaussian_filter, mode nearest, truncate 4)", () => {
  const cases = maskCases();
  for (const sigma of [1, 2.5, 5]) {
    it(`sigma ${sigma}: every case within 1e-6 of scipy`, () => {
      const want = py(
        `import sys, json, numpy as np
from scipy import ndimage
d = json.loads(sys.stdin.read())
out = []
for c in d["cases"]:
    m = np.array(c["m"], dtype=np.float64).reshape(c["h"], c["w"])
    out.append(ndimage.gaussian_filter(m, d["sigma"], mode="nearest", truncate=4.0).ravel().tolist())
print(json.dumps(out))`,
        { sigma, cases: cases.map((c) => ({ h: c.h, w: c.w, m: Array.from(c.m) })) },
      );
      cases.forEach((c, ci) => {
        const k = new GaussianKernel(sigma, Math.max(c.h, c.w));
        const out = new Float32Array(c.h * c.w).fill(Number.NaN);
        const tmp = new Float32Array(c.h * c.w);
        const support = blurBinary(c.m, c.h, c.w, boxOf(c.m, c.h, c.w), k, tmp, out, emptyRect());
        let maxErr = 0;
        for (let y = 0; y < c.h; y++)
          for (let x = 0; x < c.w; x++) {
            const inside = y >= support.y0 && y < support.y1 && x >= support.x0 && x < support.x1;
            const got = inside ? out[y * c.w + x] : 0; // outside the support the blur is 0
            maxErr = Math.max(maxErr, Math.abs(got - want[ci][y * c.w + x]));
          }
        expect(maxErr, c.name).toBeLessThan(1e-6);
      });
    });
  }

  it("scipy's kernel radius int(4 sigma + 0.5)", () => {
    expect(new GaussianKernel(5, 10).radius).toBe(20);
    expect(new GaussianKernel(1, 10).radius).toBe(4);
    expect(new GaussianKernel(1.125, 10).radius).toBe(5);
  });
});

describe("fill holes (scipy binary_fill_holes)", () => {
  it("matches scipy on every case, exactly", () => {
    const cases = maskCases();
    const want = py(
      `import sys, json, numpy as np
from scipy import ndimage
d = json.loads(sys.stdin.read())
print(json.dumps([ndimage.binary_fill_holes(np.array(c["m"], dtype=bool).reshape(c["h"], c["w"])).astype(int).ravel().tolist() for c in d]))`,
      cases.map((c) => ({ h: c.h, w: c.w, m: Array.from(c.m) })),
    );
    let filledSomething = false;
    cases.forEach((c, ci) => {
      const m = c.m.slice();
      fillHoles(m, c.w, boxOf(m, c.h, c.w), new Int32Array(c.h * c.w));
      expect(Array.from(m), c.name).toEqual(want[ci]);
      if (Array.from(m).some((v, i) => v !== c.m[i])) filledSomething = true;
    });
    expect(filledSomething).toBe(true); // the cases do have holes
  });
});

describe("dilation with disk(r) (scipy binary_dilation, skimage disk)", () => {
  it("matches on every case and radius, exactly", () => {
    const cases = maskCases();
    const radii = [0, 1, 3, 6];
    const want = py(
      `import sys, json, numpy as np
from scipy import ndimage
from skimage.morphology import disk
d = json.loads(sys.stdin.read())
out = []
for r in d["radii"]:
    for c in d["cases"]:
        m = np.array(c["m"], dtype=bool).reshape(c["h"], c["w"])
        out.append(ndimage.binary_dilation(m, structure=disk(r)).astype(int).ravel().tolist())
print(json.dumps(out))`,
      { radii, cases: cases.map((c) => ({ h: c.h, w: c.w, m: Array.from(c.m) })) },
    );
    let i = 0;
    for (const r of radii) {
      const hw = diskHalfWidths(r);
      for (const c of cases) {
        const dst = new Uint8Array(c.h * c.w).fill(7); // stale bytes must not leak into the support
        const sup = dilateDisk(c.m, dst, c.h, c.w, boxOf(c.m, c.h, c.w), hw, emptyRect());
        const got = new Array(c.h * c.w).fill(0);
        for (let y = sup.y0; y < sup.y1; y++) for (let x = sup.x0; x < sup.x1; x++) got[y * c.w + x] = dst[y * c.w + x];
        expect(got, `${c.name}, r=${r}`).toEqual(want[i++]);
      }
    }
  });
});

describe("quantiles (numpy.quantile, linear)", () => {
  it("match numpy on random, tied, constant and tiny inputs, for near-end and central quantiles", () => {
    const rand = rng(11);
    const arrays: number[][] = [];
    for (const n of [1, 2, 3, 17, 1000, 16384]) arrays.push(Array.from({ length: n }, () => Math.fround(rand() * 1000 - 100)));
    arrays.push(Array.from({ length: 4096 }, () => Math.floor(rand() * 5))); // many ties
    arrays.push(new Array(500).fill(3.5)); // constant: hi == lo
    arrays.push(Array.from({ length: 3000 }, (_, i) => 3000 - i)); // descending: worst case of the lists
    const qs: [number, number][] = [
      [0.001, 0.999],
      [0, 1],
      [0.25, 0.75], // far from the ends: quickselect path
      [0.01, 0.5],
    ];
    const want = py(
      `import sys, json, numpy as np
d = json.loads(sys.stdin.read())
print(json.dumps([[np.quantile(np.array(a, dtype=np.float64), q).tolist() for q in d["qs"]] for a in d["arrays"]]))`,
      { arrays, qs },
    );
    arrays.forEach((a, ai) => {
      qs.forEach((q, qi) => {
        const got = quantiles(a, q[0], q[1]);
        expect(got[0]).toBeCloseTo(want[ai][qi][0], 9);
        expect(got[1]).toBeCloseTo(want[ai][qi][1], 9);
      });
    });
  });

  it("counts implicit zeros and pieces pushed separately", () => {
    const rand = rng(3);
    const vals = Array.from({ length: 900 }, () => rand() * 10);
    const want = py(
      `import sys, json, numpy as np
a = np.array(json.loads(sys.stdin.read()))
print(json.dumps(np.quantile(np.concatenate([a, np.zeros(124)]), [0.001, 0.999]).tolist()))`,
      vals,
    );
    const s = new QuantileSelector();
    s.reset(1024, 0.001, 0.999);
    s.push(vals, 0, 400);
    s.pushZeros(124);
    s.push(vals, 400, 900);
    const out = [0, 0];
    s.result(out);
    expect(out[0]).toBeCloseTo(want[0], 9);
    expect(out[1]).toBeCloseTo(want[1], 9);
  });
});

describe("float32 -> float16 (numpy astype, round to nearest even)", () => {
  it("bit for bit on random values, ties, subnormals, overflow, inf and nan", () => {
    const rand = rng(5);
    const f = new Float32Array(6000);
    for (let i = 0; i < 2000; i++) f[i] = rand();
    for (let i = 2000; i < 3000; i++) f[i] = (rand() - 0.5) * 2 ** (Math.floor(rand() * 60) - 30);
    // exact ties between two halfs, in the normal and the subnormal range
    for (let i = 3000; i < 4000; i++) {
      const e = Math.floor(rand() * 40) - 25;
      const m = Math.floor(rand() * 2048);
      f[i] = (m + 0.5) * 2 ** e;
    }
    for (let i = 4000; i < 6000; i++) f[i] = (rand() - 0.5) * 140000;
    const specials = [0, -0, 65504, 65519.99, 65520, 65536, 1e30, -1e30, Infinity, -Infinity, Number.NaN, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 2 ** -26, 6.1e-5, 2 ** -14];
    specials.forEach((v, i) => {
      f[i] = v;
    });
    const u = new Uint32Array(f.buffer);
    const want: number[] = py(
      `import sys, json, numpy as np
b = np.array(json.loads(sys.stdin.read()), dtype=np.uint32).view(np.float32)
with np.errstate(all="ignore"):
    print(json.dumps(b.astype(np.float16).view(np.uint16).tolist()))`,
      Array.from(u),
    );
    let bad = 0;
    for (let i = 0; i < f.length; i++) {
      const got = halfFromBits(u[i]);
      const nan = Number.isNaN(f[i]);
      if (nan ? (got & 0x7c00) !== 0x7c00 || (got & 0x3ff) === 0 : got !== want[i]) bad++;
    }
    expect(bad).toBe(0);
    expect(fromHalf(toHalf(0.5))).toBe(0.5);
    expect(fromHalf(0x3c00)).toBe(1);
  });
});

describe("findCells: centroid (mean, rounded half to even) and bounding box", () => {
  it("keeps every label when there are more than its initial capacity", () => {
    const W = 200;
    const m = new Uint32Array(40 * W);
    for (let i = 0; i < 3000; i++) m[2 * i + (i % 2)] = 100000 + i; // 3000 two-column-apart pixels
    const cells = findCells(m, 40, W);
    expect(cells.length).toBe(3000);
    cells.forEach((c, i) => {
      const p = 2 * i + (i % 2);
      expect([c.id, c.y0, c.x0, c.y1, c.x1, c.area]).toEqual([100000 + i, Math.floor(p / W), p % W, Math.floor(p / W) + 1, (p % W) + 1, 1]);
    });
  });

  it("matches numpy / scipy find_objects on a random label mask, also when added in tiles", () => {
    const rand = rng(9);
    const H = 57;
    const W = 63;
    const m = new Int32Array(H * W);
    // random rectangles and scattered pixels with random ids, some overlapping (later wins)
    for (let k = 0; k < 40; k++) {
      const id = 1 + Math.floor(rand() * 30);
      const y0 = Math.floor(rand() * H);
      const x0 = Math.floor(rand() * W);
      const h = 1 + Math.floor(rand() * 12);
      const w = 1 + Math.floor(rand() * 12);
      for (let y = y0; y < Math.min(H, y0 + h); y++) for (let x = x0; x < Math.min(W, x0 + w); x++) if (rand() < 0.8) m[y * W + x] = id;
    }
    // half-integer centroids: a 2-pixel cell at rows 2 and 3 (mean 2.5 -> 2) and 4,5 (4.5 -> 4)
    m.fill(0, 0, W * 8);
    m[2 * W + 10] = 31;
    m[3 * W + 10] = 31;
    m[4 * W + 20] = 32;
    m[5 * W + 20] = 32;
    m[1 * W + 30] = 33;
    m[1 * W + 31] = 33; // mean col 30.5 -> 30
    m[1 * W + 40] = 34;
    m[1 * W + 41] = 34;
    m[1 * W + 42] = 34;
    m[1 * W + 44] = 34; // mean col 41.75
    const want = py(
      `import sys, json, numpy as np
from scipy import ndimage
d = json.loads(sys.stdin.read())
m = np.array(d["m"], dtype=np.int32).reshape(d["h"], d["w"])
out = []
for i, sl in enumerate(ndimage.find_objects(m)):
    if sl is None: continue
    ys, xs = np.nonzero(m == i + 1)
    out.append([i + 1, float(ys.mean()), float(xs.mean()), int(np.round(ys.mean())), int(np.round(xs.mean())), sl[0].start, sl[0].stop, sl[1].start, sl[1].stop, int(len(ys))])
print(json.dumps(out))`,
      { h: H, w: W, m: Array.from(m) },
    );
    const row = (c: CellInfo) => [c.id, c.centroidY, c.centroidX, c.cy, c.cx, c.y0, c.y1, c.x0, c.x1, c.area];
    expect(findCells(m, H, W).map(row)).toEqual(want);
    // the same mask in four tiles of uneven size
    const acc = new CellAccumulator();
    for (const [ty, th] of [
      [0, 20],
      [20, H - 20],
    ])
      for (const [tx, tw] of [
        [0, 33],
        [33, W - 33],
      ]) {
        const t = new Int32Array(th * tw);
        for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) t[y * tw + x] = m[(ty + y) * W + tx + x];
        acc.add(t, th, tw, ty, tx);
      }
    const tiled = acc.finish().toArray().map(row);
    expect(tiled.length).toBe(want.length);
    tiled.forEach((r, i) => {
      expect(r[1]).toBeCloseTo(want[i][1], 12); // sums in another order: equal up to rounding
      expect(r[2]).toBeCloseTo(want[i][2], 12);
      expect([r[0], ...r.slice(3)]).toEqual([want[i][0], ...want[i].slice(3)]);
    });
  });
});
