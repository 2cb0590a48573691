// The geometry of the LMD export checked against what the test computes
// itself: disk counts, areas of known shapes, the Hilbert curve's order as
// the hilbertcurve package (py-lmd's) lists it, rounding, and the errors.
import { describe, expect, it } from "vitest";
import type { ImageSource, PixelArray } from "../../src/index.js";
import { lmdExport } from "../../src/index.js";
import { checkCalibration } from "../../src/lmd/calibration.js";
import { collectCells } from "../../src/lmd/export.js";
import { leicaXml } from "../../src/lmd/leica-xml.js";
import { dilateDisk, erodeDisk, fillHoles } from "../../src/lmd/morphology.js";
import { polygonOf, traceOutline } from "../../src/lmd/outline.js";
import { cutOrder, hilbertDistance, pathLength, roundHalfEven } from "../../src/lmd/path.js";
import { casesMask, memorySource } from "./masks.js";

function shoelace(p: Float64Array): number {
  let a = 0;
  const n = p.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    a += p[2 * i] * p[2 * j + 1] - p[2 * j] * p[2 * i + 1];
  }
  return Math.abs(a) / 2;
}

describe("morphology", () => {
  it("a pixel dilated by a disk of radius r covers the (dx, dy) with dx^2 + dy^2 <= r^2; eroding it back leaves the pixel", () => {
    for (const r of [1, 2, 3, 5]) {
      const s = 2 * r + 7;
      const m = new Uint8Array(s * s);
      m[((s / 2) | 0) * s + ((s / 2) | 0)] = 1;
      const d = dilateDisk(m, s, s, r);
      let want = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) want++;
      expect(d.reduce((a, b) => a + b, 0)).toBe(want);
      expect([...erodeDisk(d, s, s, r)]).toEqual([...m]);
    }
  });

  it("erosion treats the outside of the map as foreground (a shape cut by the slide's edge stays cut)", () => {
    const m = new Uint8Array(10 * 10);
    for (let y = 0; y < 4; y++) for (let x = 2; x < 8; x++) m[y * 10 + x] = 1;
    const e = erodeDisk(m, 10, 10, 1);
    expect(e[0 * 10 + 4]).toBe(1);
    expect(e[3 * 10 + 4]).toBe(0);
  });

  it("fills a ring's hole, not the background outside", () => {
    const s = 20;
    const m = new Uint8Array(s * s);
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) if (Math.max(Math.abs(y - 10), Math.abs(x - 10)) === 5) m[y * s + x] = 1;
    fillHoles(m, s, s);
    expect(m.reduce((a, b) => a + b, 0)).toBe(11 * 11);
  });
});

describe("outline", () => {
  it("a k x k square's outline at half-pixel steps encloses k^2 pixels (no smoothing, no simplification)", () => {
    for (const k of [1, 2, 5]) {
      const s = k + 6;
      const data = new Uint8Array(s * s);
      for (let y = 3; y < 3 + k; y++) for (let x = 3; x < 3 + k; x++) data[y * s + x] = 1;
      const map = { data, h: s, w: s, oy: 100, ox: 200 };
      expect(traceOutline(map).length / 2).toBe(8 * k);
      const p = polygonOf(map, 1, 0);
      expect(shoelace(p)).toBeCloseTo(k * k, 10);
      expect(Math.min(...p.filter((_, i) => i % 2 === 0))).toBe(102.5);
      expect(Math.min(...p.filter((_, i) => i % 2 === 1))).toBe(202.5);
    }
  });

  it("an L shape: area kept exactly; RDP keeps only its 6 corners", () => {
    const s = 12;
    const data = new Uint8Array(s * s);
    for (let y = 3; y < 9; y++) for (let x = 3; x < 6; x++) data[y * s + x] = 1;
    for (let y = 6; y < 9; y++) for (let x = 6; x < 9; x++) data[y * s + x] = 1;
    const map = { data, h: s, w: s, oy: 0, ox: 0 };
    const p = polygonOf(map, 1, 0.01);
    expect(shoelace(p)).toBeCloseTo(27, 10);
    // the first point is a corner (the trace starts at one), the last one is the midpoint before it
    expect(p.length / 2).toBeLessThanOrEqual(8);
  });
});

describe("path", () => {
  it("the Hilbert curve of order 2 in the order the hilbertcurve package lists its points", () => {
    const listed = [
      [0, 0], [1, 0], [1, 1], [0, 1], [0, 2], [0, 3], [1, 3], [1, 2],
      [2, 2], [2, 3], [3, 3], [3, 2], [3, 1], [2, 1], [2, 0], [3, 0],
    ];
    for (const [d, [a, b]] of listed.entries()) expect(hilbertDistance(2, a, b)).toBe(d);
  });

  it("greedy and Hilbert orders are permutations that do not lengthen a zig-zag path", () => {
    const n = 200;
    const c = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      c[2 * i] = (i * 37) % 100;
      c[2 * i + 1] = (i * 61) % 97;
    }
    const before = pathLength(c, Int32Array.from({ length: n }, (_, i) => i));
    for (const m of ["greedy", "hilbert"] as const) {
      const o = cutOrder(c, m, 5);
      expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(pathLength(c, o)).toBeLessThan(before / 3);
    }
  });

  it("rounds halves to even, as numpy", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
});

describe("XML and errors", () => {
  it("calibration points floored, shape points rounded, after [row, col] @ M * scale", () => {
    const xml = leicaXml([{ points: Float64Array.from([0.005, 1.015, 2, 3, 4, 5.5]), well: "A<1" }], [[1.239, 2.5], [0, 10], [10, 0]], [0, -1, 1, 0], 100);
    expect(xml).toContain("<X_CalibrationPoint_1>250</X_CalibrationPoint_1>\n  <Y_CalibrationPoint_1>-124</Y_CalibrationPoint_1>");
    expect(xml).toContain("<CapID>A&lt;1</CapID>");
    expect(xml).toContain("<X_3>550</X_3>\n    <Y_3>-400</Y_3>");
  });

  it("collinear calibration points, a cellID not in the mask, cellID 0", async () => {
    expect(() => checkCalibration([[0, 0], [5, 5], [10, 10]])).toThrow(/lie on one line/);
    expect(() => checkCalibration([[0, 0], [5, 5]])).toThrow(/three points/);
    const { mask } = casesMask();
    const cal = [[0, 0], [0, 100], [100, 0]];
    await expect(lmdExport(memorySource(mask, "m.tif"), [{ cellIds: [1, 77, 78] }], cal)).rejects.toThrow("m.tif: no pixel has the cellID 77, 78");
    await expect(lmdExport(memorySource(mask), [{ cellIds: [0, 1] }], cal)).rejects.toThrow(/0 is not a cellID/);
    await expect(lmdExport(memorySource(mask), [{ cellIds: [1] }], cal, { convolutionSmoothing: 0 })).rejects.toThrow(/convolutionSmoothing 0/);
  });
});

describe("reading the mask in strips", () => {
  it("keeps every pixel of a cell whose pieces lie further apart than a strip", async () => {
    // 2^20 columns: strips of 4 rows. Cell 5: 3 x 3 pixels at rows 1-3 and at rows 15-17; cell 6: rows 6-7.
    const W = 1 << 20;
    const at = (y: number, x: number) => ((y >= 1 && y <= 3) || (y >= 15 && y <= 17)) && x >= 10 && x < 13 ? 5 : y >= 6 && y <= 7 && x >= 40 && x < 42 ? 6 : 0;
    const source: ImageSource = {
      name: "wide",
      height: 20,
      width: W,
      channels: 1,
      dtype: "uint16",
      async readWindow(y0: number, x0: number, h: number, w: number): Promise<PixelArray[]> {
        const out = new Uint16Array(h * w);
        for (let y = 0; y < h; y++) for (let x = 0; x < 64; x++) out[y * w + x - x0] = at(y0 + y, x);
        return [out];
      },
      async close() {},
    };
    const cells = await collectCells(source, [5, 6]);
    const count = (id: number) => cells.get(id)?.map.data.reduce((a, b) => a + b, 0);
    expect(count(5)).toBe(18);
    expect(count(6)).toBe(4);
    expect(cells.get(5)?.cy).toBe((1 + 2 + 3 + 15 + 16 + 17) / 6);
  });
});
