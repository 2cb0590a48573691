// The page's pure parts in Node: filters, groups and pixels.
import { describe, expect, it } from "vitest";
import { CellCache, plural, readError } from "../src/cache.js";
import { startLimits } from "../src/display.js";
import { insidePolygon } from "../src/embedding.js";
import { applyFilter, distinct, groupRows, sortRows } from "../src/obs.js";
import { drawCell } from "../src/render.js";

describe("filter and group", () => {
  const label = ["a", "b", "a", "c", "a", "b"];
  const score = Float64Array.from([0.5, 1.5, 2.5, 3.5, 4.5, 9.5]);
  const rows = [0, 1, 2, 3, 4, 5];

  it("counts values, most frequent first for strings, in order for numbers", () => {
    expect(distinct(label)).toEqual([
      { value: "a", count: 3 },
      { value: "b", count: 2 },
      { value: "c", count: 1 },
    ]);
    expect(distinct(BigInt64Array.from([3n, 1n, 3n])).map((v) => v.value)).toEqual(["1", "3"]);
  });

  it("filters by ticked values or a numeric range (ends included)", () => {
    expect(applyFilter(rows, { label }, { column: "label", values: new Set(["b", "c"]) })).toEqual([1, 3, 5]);
    expect(applyFilter(rows, { score }, { column: "score", min: 1.5, max: 4.5 })).toEqual([1, 2, 3, 4]);
    expect(applyFilter(rows, { score }, null)).toEqual(rows);
  });

  it("groups by value, and a numeric column with many values into 10 bins", () => {
    expect(groupRows(rows, label)).toEqual([
      { label: "a", rows: [0, 2, 4] },
      { label: "b", rows: [1, 5] },
      { label: "c", rows: [3] },
    ]);
    const many = Float64Array.from({ length: 100 }, (_, i) => i);
    const bins = groupRows(
      Array.from({ length: 100 }, (_, i) => i),
      many,
    );
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.rows.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(bins[9].rows.at(-1)).toBe(99);
  });
});

describe("pixels", () => {
  // one cell, 2 channels (mask, image), 4 x 4
  const S = 4;
  const mask = [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];
  const image = Array.from({ length: 16 }, (_, i) => i / 15);
  const data = Float32Array.from([...mask, ...image]);

  it("grey: value x 255 in R, G and B; a mask's edge pixels in its colour", () => {
    const out = new Uint8ClampedArray(S * S * 4);
    drawCell(data, 0, S, { rgb: false, channels: [1], outlines: [], gain: 1, limits: [] }, out, S, 0, 0);
    expect(Array.from(out.subarray(4 * 15, 4 * 16))).toEqual([255, 255, 255, 255]);
    expect(Array.from(out.subarray(4 * 3, 4 * 4))).toEqual([51, 51, 51, 255]); // 3/15 * 255
    drawCell(data, 0, S, { rgb: false, channels: [1], outlines: [{ channel: 0, color: [1, 2, 3] }], gain: 1, limits: [] }, out, S, 0, 0);
    // a 2 x 2 mask is all edge
    for (const i of [5, 6, 9, 10]) expect(Array.from(out.subarray(4 * i, 4 * i + 3))).toEqual([1, 2, 3]);
    expect(out[0]).toBe(0);
  });

  it("RGB: each colour from its channel, none black; into a larger canvas at an offset", () => {
    const out = new Uint8ClampedArray(8 * 8 * 4);
    drawCell(data, 0, S, { rgb: true, channels: [1, 0, -1], outlines: [], gain: 2, limits: [] }, out, 8, 4, 4);
    const at = (y: number, x: number) => Array.from(out.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4));
    expect(at(5, 5)).toEqual([170, 255, 0, 255]); // cell pixel (1, 1): 5/15 * 255 * 2; the mask 1 * 510, clamped
    expect(at(0, 0)).toEqual([0, 0, 0, 0]); // outside the cell: untouched
  });

  it("limits: [0, 1] for values in [0, 1], else [0, the 99.5th percentile]", () => {
    // 10 cells of 2 channels, 10 x 10: channel 0 in [0, 1), channel 1 the numbers 0..999 (shuffled by cell)
    const raw = new Float32Array(10 * 2 * 100);
    for (let c = 0; c < 10; c++) {
      for (let p = 0; p < 100; p++) {
        raw[c * 200 + p] = p / 100;
        raw[c * 200 + 100 + p] = ((c * 7) % 10) * 100 + p;
      }
    }
    const cells = Array.from({ length: 10 }, (_, c) => raw.subarray(c * 200, (c + 1) * 200));
    expect(startLimits(cells, 10, 0)).toEqual({ limits: [0, 1], span: [0, 1] });
    expect(startLimits(cells, 10, 1)).toEqual({ limits: [0, 995], span: [0, 999] });
  });

  it("contrast limits: (v - lo) / (hi - lo) x 255; the colour composite adds each channel's colour, clamped", () => {
    const out = new Uint8ClampedArray(S * S * 4);
    drawCell(data, 0, S, { rgb: false, channels: [1], outlines: [], gain: 1, limits: [[0, 1], [0.2, 0.6]] }, out, S, 0, 0);
    // pixel 6: 6/15 = 0.4 -> (0.4 - 0.2) / 0.4 * 255 = 127.5 -> 128 (round half to even in the clamped array)
    expect(out[6 * 4]).toBe(128);
    expect(out[2 * 4]).toBe(0); // below lo
    expect(out[12 * 4]).toBe(255); // above hi
    const mix = { channel: 1, color: [200, 100, 0] as [number, number, number] };
    const mask = { channel: 0, color: [100, 0, 50] as [number, number, number] };
    drawCell(data, 0, S, { rgb: false, channels: [], mix: [mix, mask], outlines: [], gain: 1, limits: [[0, 1], [0, 0.5]] }, out, S, 0, 0);
    // pixel 5: image 5/15 over [0, 0.5] = 2/3; mask 1 -> [200 * 2/3 + 100, 100 * 2/3, 50]
    expect(Array.from(out.subarray(5 * 4, 6 * 4))).toEqual([233, 67, 50, 255]);
    // pixel 15: image saturates at 1 (not 2): [200, 100, 0]; pixel 9 with the mask: [200 + 100 -> 255, 100, 50]
    expect(Array.from(out.subarray(15 * 4, 16 * 4))).toEqual([200, 100, 0, 255]);
    expect(Array.from(out.subarray(9 * 4, 10 * 4))).toEqual([255, 100, 50, 255]);
  });
});

describe("sort and lasso", () => {
  it("sorts rows by a column, ascending or descending, ties in row order, missing values last", () => {
    const v = Float64Array.from([3, 1, Number.NaN, 1, 2]);
    expect(sortRows([0, 1, 2, 3, 4], v)).toEqual([1, 3, 4, 0, 2]);
    expect(sortRows([0, 1, 2, 3, 4], v, true)).toEqual([0, 4, 1, 3, 2]);
    expect(sortRows([4, 3, 0], v)).toEqual([3, 4, 0]);
    const s = ["b", "", "a", "b"];
    expect(sortRows([0, 1, 2, 3], s)).toEqual([2, 0, 3, 1]);
    expect(sortRows([0, 1, 2, 3], s, true)).toEqual([0, 3, 2, 1]);
  });

  it("point in polygon (even-odd): a concave L shape", () => {
    const L = Float64Array.from([0, 0, 10, 0, 10, 4, 4, 4, 4, 10, 0, 10]);
    expect(insidePolygon(L, 2, 8)).toBe(true);
    expect(insidePolygon(L, 8, 2)).toBe(true);
    expect(insidePolygon(L, 8, 8)).toBe(false);
    expect(insidePolygon(L, -1, 5)).toBe(false);
  });
});

describe("the decoded cells held, plurals and read errors", () => {
  const cell = (kb: number) => new Float32Array((kb * 1024) / 4);

  it("holds cells within the byte budget, least recently used out first", () => {
    const c = new CellCache(10 * 1024);
    for (let r = 0; r < 5; r++) c.set(r, cell(2));
    expect(c.bytes).toBe(10 * 1024);
    c.get(0); // used: now the newest
    c.set(5, cell(2));
    expect(c.bytes).toBeLessThanOrEqual(10 * 1024);
    expect([0, 1, 2, 3, 4, 5].filter((r) => c.has(r))).toEqual([0, 2, 3, 4, 5]);
    c.set(6, cell(6));
    expect(c.bytes).toBeLessThanOrEqual(10 * 1024);
    expect(c.has(6) && c.has(0)).toBe(true);
  });

  it("never drops the cells in view, even past the budget", () => {
    const inView = new Set([0, 1, 2]);
    const c = new CellCache(4 * 1024, (r) => inView.has(r));
    for (let r = 0; r < 6; r++) c.set(r, cell(2));
    expect([0, 1, 2].every((r) => c.has(r))).toBe(true);
    expect(c.bytes).toBe(6 * 1024 + 2 * 1024 * (c.size - 3));
    expect(c.size).toBe(3); // the cells out of view went first; the newest too once only in-view ones are left
  });

  it("plurals", () => {
    expect(plural(1, "cell")).toBe("1 cell");
    expect(plural(0, "cell")).toBe("0 cells");
    expect(plural(12_345, "cellID")).toBe("12,345 cellIDs");
  });

  it("a failed read names what failed, with the CORS hint where the browser only says the fetch failed", () => {
    const http = readError(new Error("http://h/x.zarr: /obsm/single_cell_images: cannot read chunk (3, 0, 0, 0): HTTP 404 Not Found"));
    expect(http).toBe("cannot read cells: http://h/x.zarr: /obsm/single_cell_images: cannot read chunk (3, 0, 0, 0): HTTP 404 Not Found");
    const cors = readError(new Error("http://other/x.zarr: /: cannot reach the server: Failed to fetch"));
    expect(cors).toContain("http://other/x.zarr");
    expect(cors).toContain("CORS headers");
    expect(readError(new TypeError("Failed to fetch"), null)).toMatch(/^Failed to fetch — .*CORS/);
  });
});
