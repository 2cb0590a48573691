// The page's pure parts in Node: filters, groups and pixels.
import { describe, expect, it } from "vitest";
import { CellCache, plural, readError } from "../src/cache.js";
import { startLimits } from "../src/display.js";
import { insidePolygon } from "../src/embedding.js";
import { applyFilter, distinct, groupRows, missingOf, NA, type Obs, showValue, sortRows } from "../src/obs.js";
import { drawCell } from "../src/render.js";

describe("filter and group", () => {
  const label = ["a", "b", "a", "c", "a", "b"];
  const score = Float64Array.from([0.5, 1.5, 2.5, 3.5, 4.5, 9.5]);
  const rows = [0, 1, 2, 3, 4, 5];
  const obs: Obs = { columns: { label, score, n: BigInt64Array.from([3n, 1n, 3n]) }, missing: {} };

  it("counts values, most frequent first for strings, in order for numbers", () => {
    expect(distinct(obs, "label")).toEqual({
      values: [
        { value: "a", count: 3 },
        { value: "b", count: 2 },
        { value: "c", count: 1 },
      ],
      missing: 0,
    });
    expect(distinct(obs, "n").values.map((v) => v.value)).toEqual(["1", "3"]);
  });

  it("filters by ticked values or a numeric range (ends included)", () => {
    expect(applyFilter(rows, obs, { column: "label", values: new Set(["b", "c"]), missing: true })).toEqual([1, 3, 5]);
    expect(applyFilter(rows, obs, { column: "score", min: 1.5, max: 4.5, missing: true })).toEqual([1, 2, 3, 4]);
    expect(applyFilter(rows, obs, null)).toEqual(rows);
  });

  it("groups by value, and a numeric column with many values into 10 bins", () => {
    expect(groupRows(rows, obs, "label")).toEqual([
      { label: "a", rows: [0, 2, 4] },
      { label: "b", rows: [1, 5] },
      { label: "c", rows: [3] },
    ]);
    const many = Float64Array.from({ length: 100 }, (_, i) => i);
    const bins = groupRows(
      Array.from({ length: 100 }, (_, i) => i),
      { columns: { many }, missing: {} },
      "many",
    );
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.rows.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(bins[9].rows.at(-1)).toBe(99);
  });
});

describe("missing obs values (lazy's masks, a float's NaN)", () => {
  // as lazy reads pandas' columns: placeholders under the mask (Int64 <NA> stored as 1, boolean <NA> as
  // false, a categorical's NaN as ""), a plain float column with NaN
  const m = (...bits: number[]) => Uint8Array.from(bits);
  const obs: Obs = {
    columns: {
      plate: BigInt64Array.from([1n, 2n, 1n, 1n, 1n, 2n]),
      ok: Uint8Array.from([1, 0, 0, 0, 1, 1]),
      cls: ["a", "", "b", "", "a", "b"],
      name: ["x", "", "", "w", "y", "z"], // plain strings: "" is a value
      score: Float64Array.from([0.5, Number.NaN, 2.5, 1.5, Number.NaN, 0.5]),
    },
    missing: { plate: m(0, 0, 1, 0, 1, 0), ok: m(0, 1, 0, 1, 0, 0), cls: m(0, 1, 0, 1, 0, 0) },
  };
  const rows = [0, 1, 2, 3, 4, 5];

  it("one rule: the masked rows, a float's NaN, nothing else", () => {
    const at = (c: string) => rows.filter(missingOf(obs, c));
    expect(at("plate")).toEqual([2, 4]);
    expect(at("ok")).toEqual([1, 3]);
    expect(at("cls")).toEqual([1, 3]);
    expect(at("name")).toEqual([]);
    expect(at("score")).toEqual([1, 4]);
  });

  it("shows a missing value as NA, never its placeholder", () => {
    expect(rows.map((r) => showValue(obs, "plate", r))).toEqual(["1", "2", NA, "1", NA, "2"]);
    expect(rows.map((r) => showValue(obs, "ok", r))).toEqual(["1", NA, "0", NA, "1", "1"]);
    expect(rows.map((r) => showValue(obs, "cls", r))).toEqual(["a", NA, "b", NA, "a", "b"]);
    expect(rows.map((r) => showValue(obs, "score", r))).toEqual(["0.500", NA, "2.50", "1.50", NA, "0.500"]);
    expect(showValue(obs, "score", 2, (v) => v.toFixed(1))).toBe("2.5");
  });

  it("counts the present values only, and the missing ones apart", () => {
    expect(distinct(obs, "plate")).toEqual({
      values: [
        { value: "1", count: 2 },
        { value: "2", count: 2 },
      ],
      missing: 2,
    });
    expect(distinct(obs, "ok")).toEqual({
      values: [
        { value: "0", count: 1 },
        { value: "1", count: 3 },
      ],
      missing: 2,
    });
    expect(distinct(obs, "cls").values.map((v) => v.value)).toEqual(["a", "b"]);
    expect(distinct(obs, "score")).toEqual({
      values: [
        { value: "0.5", count: 2 },
        { value: "1.5", count: 1 },
        { value: "2.5", count: 1 },
      ],
      missing: 2,
    });
  });

  it("a filter's values never select a missing row; its NA choice selects exactly those", () => {
    const f = (column: string, values: string[], missing: boolean) => applyFilter(rows, obs, { column, values: new Set(values), missing });
    expect(f("plate", ["1"], false)).toEqual([0, 3]);
    expect(f("plate", [], true)).toEqual([2, 4]);
    expect(f("ok", ["0"], false)).toEqual([2]);
    expect(f("ok", ["1"], true)).toEqual([0, 1, 3, 4, 5]);
    expect(f("cls", [""], false)).toEqual([]);
    expect(f("cls", [], true)).toEqual([1, 3]);
    expect(applyFilter(rows, obs, { column: "plate", min: 0, max: 5, missing: false })).toEqual([0, 1, 3, 5]);
    expect(applyFilter(rows, obs, { column: "score", min: 2, max: 3, missing: true })).toEqual([1, 2, 4]);
  });

  it("groups the missing rows in an NA group, last", () => {
    expect(groupRows(rows, obs, "plate")).toEqual([
      { label: "1", rows: [0, 3] },
      { label: "2", rows: [1, 5] },
      { label: NA, rows: [2, 4] },
    ]);
    expect(groupRows(rows, obs, "ok")).toEqual([
      { label: "0", rows: [2] },
      { label: "1", rows: [0, 4, 5] },
      { label: NA, rows: [1, 3] },
    ]);
    expect(groupRows(rows, obs, "cls").map((g) => g.label)).toEqual(["a", "b", NA]);
    expect(groupRows([0, 3, 5], obs, "plate").map((g) => g.label)).toEqual(["1", "2"]); // no empty NA group
  });

  it("bins a float column of many values with NaN: the bins span the numbers, the NaN rows in NA", () => {
    const n = 50;
    const v = Float64Array.from({ length: n }, (_, i) => (i % 10 === 3 ? Number.NaN : i));
    const all = Array.from({ length: n }, (_, i) => i);
    const groups = groupRows(all, { columns: { v }, missing: {} }, "v");
    expect(groups.at(-1)).toEqual({ label: NA, rows: [3, 13, 23, 33, 43] });
    expect(groups[0].label).toBe("0 – 4.90");
    expect(groups.at(-2)?.rows.at(-1)).toBe(49);
    expect(groups.reduce((k, g) => k + g.rows.length, 0)).toBe(n);
    // only missing rows: one NA group
    expect(groupRows([3, 13], { columns: { v }, missing: {} }, "v")).toEqual([{ label: NA, rows: [3, 13] }]);
  });

  it("sorts the missing rows last, ascending and descending, not as their placeholder", () => {
    expect(sortRows(rows, obs, "plate")).toEqual([0, 3, 1, 5, 2, 4]);
    expect(sortRows(rows, obs, "plate", true)).toEqual([1, 5, 0, 3, 2, 4]);
    expect(sortRows(rows, obs, "ok")).toEqual([2, 0, 4, 5, 1, 3]);
    expect(sortRows(rows, obs, "cls", true)).toEqual([2, 5, 0, 4, 1, 3]);
    expect(sortRows(rows, obs, "name")).toEqual([1, 2, 3, 0, 4, 5]); // "" a value: first
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
    const obs: Obs = { columns: { v: Float64Array.from([3, 1, Number.NaN, 1, 2]), s: ["b", "", "a", "b"] }, missing: { s: Uint8Array.from([0, 1, 0, 0]) } };
    expect(sortRows([0, 1, 2, 3, 4], obs, "v")).toEqual([1, 3, 4, 0, 2]);
    expect(sortRows([0, 1, 2, 3, 4], obs, "v", true)).toEqual([0, 4, 1, 3, 2]);
    expect(sortRows([4, 3, 0], obs, "v")).toEqual([3, 4, 0]);
    expect(sortRows([0, 1, 2, 3], obs, "s")).toEqual([2, 0, 3, 1]);
    expect(sortRows([0, 1, 2, 3], obs, "s", true)).toEqual([0, 3, 2, 1]);
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
    const cors = readError(new Error("http://other/x.zarr: cannot reach the server: Failed to fetch"));
    expect(cors).toContain("http://other/x.zarr");
    expect(cors).toContain("CORS headers");
    expect(readError(new TypeError("Failed to fetch"), null)).toMatch(/^Failed to fetch — .*CORS/);
  });
});
