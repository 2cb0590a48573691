// What extract() tells its caller before and while cells flow: the stages in
// order, and progress that counts cells as they are computed (the sample's
// ids are in raster order only roughly; progress must reach the total and
// never go back).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_DATA } from "../../../../test-utils/oracle.js";
import { ExtractError } from "../../src/errors.js";
import { openImageSource } from "../../src/inputs/index.js";
import type { ImageSource } from "../../src/inputs/source.js";
import { extract } from "../../src/pipeline.js";
import type { ExtractStage } from "../../src/prepare.js";

const S = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-stages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("extract stages and progress", () => {
  it("open, scan by rows, planned, start; then cells computed up to the total", async () => {
    const stages: ExtractStage[] = [];
    const done: number[] = [];
    const summary = await extract({
      image: path.join(S, "image.tif"),
      nucleus: path.join(S, "nucleus.tif"),
      out: path.join(dir, "a.h5sc"),
      size: 48,
      threads: 2,
      batchSize: 8,
      onStage: (e) => stages.push(e),
      onProgress: (d, total) => {
        expect(total).toBe(228);
        expect(stages.at(-1)?.stage).toBe("start");
        done.push(d);
      },
    });
    expect(stages.map((e) => e.stage)).toEqual(["open", "scan", "scan", "planned", "start"]);
    expect(stages[1]).toEqual({ stage: "scan", rowsDone: 0, rows: 512, mask: path.join(S, "nucleus.tif") });
    expect(stages[2]).toMatchObject({ rowsDone: 512, rows: 512 });
    expect(stages[3]).toEqual({ stage: "planned", cells: 228, droppedAtBorder: 63, inMask: 291 });
    expect(done.at(-1)).toBe(summary.cellsWritten);
    expect(done.every((d, i) => i === 0 || d > done[i - 1])).toBe(true);
    expect(done.length).toBe(Math.ceil(228 / 8)); // one call a batch
  });

  it("the mask files are closed once the plan holds their runs, and never read after it", async () => {
    const events: string[] = [];
    const watched = async (file: string): Promise<ImageSource> => {
      const s = await openImageSource(file);
      return {
        name: s.name,
        height: s.height,
        width: s.width,
        channels: s.channels,
        dtype: s.dtype,
        readWindow: (...a) => {
          events.push(`read ${path.basename(file)}`);
          return s.readWindow(...a);
        },
        close: async () => {
          events.push(`close ${path.basename(file)}`);
          await s.close();
        },
      };
    };
    const summary = await extract({
      image: path.join(S, "image.tif"),
      nucleus: await watched(path.join(S, "nucleus.tif")),
      out: path.join(dir, "c.h5sc"),
      size: 48,
      threads: 2,
      onStage: (e) => events.push(e.stage),
    });
    expect(summary.cellsWritten).toBe(228);
    const planned = events.indexOf("planned");
    expect(events.slice(planned + 1, events.indexOf("start"))).toEqual(["close nucleus.tif"]);
    expect(events.slice(0, planned).filter((e) => e.startsWith("read")).length).toBeGreaterThan(0);
    expect(events.slice(planned).some((e) => e.startsWith("read"))).toBe(false);
  });

  it("--cell-ids all at the border: an error naming them and the fix", async () => {
    const err = await extract({ image: path.join(S, "image.tif"), nucleus: path.join(S, "nucleus.tif"), out: path.join(dir, "b.h5sc"), size: 48, cellIds: [1, 2], threads: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(ExtractError);
    expect(err.input).toBe("cellIds");
    expect(err.message).toBe(
      'cellIds: 1,2: these cells are all at the border (the 48 x 48 crop around the centroid leaves the 512 x 512 image), so none is written; expected ids of cells away from the border, or border "pad" to zero-pad their crops',
    );
  });
});
