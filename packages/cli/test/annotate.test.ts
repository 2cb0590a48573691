// `view --annotate`'s request check: the obs columns a label may not take are
// those extract's layout writes itself (shared with extract --labels) and the
// other names readers take the cellIDs from.
import { CELL_ID_COLUMNS, OWNED_OBS_COLUMNS } from "@cellfolio/format";
import { describe, expect, it } from "vitest";
import { checkLabelsRequest } from "../src/annotate.js";

const request = (column: string) => ({ target: "obs", column, classes: ["a", "b"], cells: [{ cellId: 3, label: 1 }] });

describe("checkLabelsRequest", () => {
  it("refuses a column the layout owns or a reader takes the cellIDs from; takes another name", () => {
    for (const column of new Set([...OWNED_OBS_COLUMNS, ...CELL_ID_COLUMNS])) {
      expect(() => checkLabelsRequest(request(column)), column).toThrow(`column "${column}" holds the cells' identity or place; choose another name`);
    }
    expect(checkLabelsRequest(request("centroid_x_um")).column).toBe("centroid_x_um");
  });
});
