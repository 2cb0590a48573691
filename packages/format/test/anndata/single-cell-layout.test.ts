// writeSingleCellLayout's obs on the in-memory store: the columns the layout
// owns (OWNED_OBS_COLUMNS) come from the cells, the labels after them, and a
// label column of an owned name is refused rather than written over them.
import { describe, expect, it } from "vitest";
import { FormatError } from "../../src/errors.js";
import { type LayoutInfo, OBS_COLUMNS, OWNED_OBS_COLUMNS, writeSingleCellLayout } from "../../src/layout.js";
import { MemoryStore } from "../../src/memory.js";
import type { Elem } from "../../src/model.js";

const info = (labelColumns?: Record<string, Elem>, labelColumnOrder?: string[]): LayoutInfo => ({
  cells: { id: [3, 7], centroidY: [10.5, 20], centroidX: [30, 40.25] },
  nMasks: 1,
  imageChannelNames: ["dna"],
  params: { preset: "classic", size: 32, quantiles: [0.001, 0.999] },
  compression: "gzip(1)",
  labelColumns,
  labelColumnOrder,
});
const float64 = (...v: number[]): Elem => ({ dtype: "float64", shape: [v.length], data: Float64Array.from(v) });

describe("writeSingleCellLayout: obs", () => {
  it("owns the index, the cellID and the centroid; the labels follow them", async () => {
    expect(OWNED_OBS_COLUMNS).toEqual(["_index", OBS_COLUMNS.cellId, OBS_COLUMNS.centroidY, OBS_COLUMNS.centroidX]);
    const store = new MemoryStore("cells.h5sc");
    await writeSingleCellLayout(store, info({ score: float64(0.5, 1.5) }));
    expect((await store.get("obs"))?.attrs["column-order"]).toEqual(["scportrait_cell_id", "centroid_y", "centroid_x", "score"]);
    expect(Array.from((await store.readArray("obs/centroid_x")).data as Float64Array)).toEqual([30, 40.25]);
    expect(Array.from((await store.readArray("obs/score")).data as Float64Array)).toEqual([0.5, 1.5]);
  });

  it("refuses a label column named as one it owns, before writing obs, rather than replacing the cells' centroid or cellID", async () => {
    for (const name of OWNED_OBS_COLUMNS) {
      const store = new MemoryStore("cells.h5sc");
      const err = await writeSingleCellLayout(store, info({ [name]: float64(1.5, 2.5) })).catch((e) => e);
      expect(err, name).toBeInstanceOf(FormatError);
      expect(err.message).toBe(
        `cells.h5sc: /obs/${name}: a label column named "${name}", which the single-cell layout writes itself (_index, scportrait_cell_id, centroid_y, centroid_x); expected another name for the label column`,
      );
      expect(await store.get("obs"), name).toBeNull();
    }
    // named only in the order
    const err = await writeSingleCellLayout(new MemoryStore("cells.h5sc"), info({}, ["centroid_y"])).catch((e) => e);
    expect(err?.message).toMatch(/\/obs\/centroid_y: a label column named "centroid_y"/);
  });
});
