// The typed label -> index table of the masks' scan (kernels/label-table.ts):
// indices in order of first sight, as a Map numbers them, for every key the
// scan uses (labels of any sign, float labels, pair keys up to 2^52).
import { describe, expect, it } from "vitest";
import { LabelTable } from "../../src/kernels/label-table.js";
import { rng } from "./synthetic-slide.js";

describe("LabelTable", () => {
  it("numbers keys 0, 1, 2, ... in order of first sight, through its growth, as a Map would", () => {
    const t = new LabelTable();
    const r = rng(5);
    const keys: number[] = [0, -1, 1, -2147483648, 4294967295, 2 ** 52 - 1, 2 ** 26 * 12345 + 7, 2 ** 26 * 12346 + 7, 0.5];
    for (let k = 0; k < 20_000; k++) keys.push(Math.floor(r() * 2 ** 40) * (k % 3 === 0 ? -1 : 1));
    const first = new Map<number, number>();
    for (const key of [...keys, ...keys.slice().reverse()]) {
      const want = first.get(key) ?? first.size;
      if (!first.has(key)) first.set(key, want);
      expect(t.add(key)).toBe(want);
    }
    expect(t.size).toBe(first.size);
    for (const [key, index] of first) {
      expect(t.get(key)).toBe(index);
      expect(t.key(index)).toBe(key);
    }
    expect(Array.from(t.keys())).toEqual([...first.keys()]);
  });

  it("-0 is 0, and keys never added are not found (pair keys differing in either half, fractions)", () => {
    const t = new LabelTable();
    t.add(0);
    t.add(2 ** 26 * 12345 + 7);
    t.add(3);
    expect(t.get(-0)).toBe(0);
    expect(t.get(2 ** 26 * 12345 + 8)).toBe(-1);
    expect(t.get(2 ** 26 * 12346 + 7)).toBe(-1);
    expect(t.get(3.25)).toBe(-1);
    expect(t.get(4)).toBe(-1);
  });
});
