// The plan's cells as one Float64Array (kernels/cells.ts): what goes in comes
// back field by field, through a subset, a slice and a column; the
// accumulator's table is sorted by id with the centroids and boxes of the
// mask's pixels.
import { describe, expect, it } from "vitest";
import { CELL_FIELDS, CellAccumulator, type CellInfo, CellTable } from "../../src/kernels/cells.js";

const cells: CellInfo[] = [
  { id: 3, cy: 10, cx: 20, centroidY: 10.25, centroidX: 19.5, y0: 8, x0: 18, y1: 13, x1: 22, area: 17, cytosolBox: { y0: 5, x0: 15, y1: 16, x1: 25 } },
  { id: 7, cy: 40, cx: 2, centroidY: 40.5, centroidX: 2.4, y0: 38, x0: 0, y1: 43, x1: 5, area: 21 },
  { id: 2 ** 40 + 1, cy: 0, cx: 0, centroidY: 0.1, centroidX: 0.2, y0: 0, x0: 0, y1: 1, x1: 1, area: 1, cytosolBox: { y0: 0, x0: 0, y1: 0, x1: 0 } },
];

describe("CellTable", () => {
  it("gives back each cell as it was given, with or without a cytosol box", () => {
    const t = CellTable.of(cells);
    expect(t.length).toBe(3);
    expect(t.data.length).toBe(3 * CELL_FIELDS);
    expect(t.toArray()).toEqual(cells.map((c) => ({ ...c, cytosolBox: c.cytosolBox })));
    expect([t.id(2), t.cy(0), t.cx(1), t.centroidY(0), t.centroidX(1)]).toEqual([2 ** 40 + 1, 10, 2, 10.25, 2.4]);
  });

  it("reuses the objects get is given, and sets a box after the fact", () => {
    const t = CellTable.of(cells);
    const cell = {} as CellInfo;
    const box = { y0: -1, x0: -1, y1: -1, x1: -1 };
    expect(t.get(0, cell, box)).toBe(cell);
    expect(cell.cytosolBox).toBe(box);
    expect(box).toEqual({ y0: 5, x0: 15, y1: 16, x1: 25 });
    t.get(1, cell, box);
    expect(cell.cytosolBox).toBeUndefined();
    t.setCytosolBox(1, { y0: 30, x0: 0, y1: 50, x1: 9 });
    expect(t.get(1).cytosolBox).toEqual({ y0: 30, x0: 0, y1: 50, x1: 9 });
  });

  it("takes rows in any order, slices and columns", () => {
    const t = CellTable.of(cells);
    expect(t.rows([2, 0]).toArray()).toEqual([cells[2], cells[0]]);
    expect(t.slice(1, 3).toArray()).toEqual([cells[1], cells[2]]);
    expect([...t.column("id")]).toEqual([3, 7, 2 ** 40 + 1]);
    expect([...t.column("centroidX")]).toEqual([19.5, 2.4, 0.2]);
    // copies: the subset does not write through to the table
    const sub = t.rows([0]);
    sub.setCytosolBox(0, { y0: 1, x0: 1, y1: 2, x1: 2 });
    expect(t.get(0).cytosolBox).toEqual(cells[0].cytosolBox);
  });

  it("is what the accumulator finishes with: sorted by id, centroids and boxes of the pixels", () => {
    // 3 x 4 mask: label 9 at (0,0),(0,1),(1,0); label 4 at (2,3)
    const mask = new Uint16Array([9, 9, 0, 0, 9, 0, 0, 0, 0, 0, 0, 4]);
    const acc = new CellAccumulator();
    acc.add(mask, 3, 4);
    const t = acc.finish();
    expect([...t.column("id")]).toEqual([4, 9]);
    expect(t.get(0)).toEqual({ id: 4, cy: 2, cx: 3, centroidY: 2, centroidX: 3, y0: 2, x0: 3, y1: 3, x1: 4, area: 1, cytosolBox: undefined });
    expect(t.get(1)).toMatchObject({ id: 9, centroidY: 1 / 3, centroidX: 1 / 3, cy: 0, cx: 0, y0: 0, x0: 0, y1: 2, x1: 2, area: 3 });
  });
});
