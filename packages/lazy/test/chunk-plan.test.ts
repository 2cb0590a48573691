// Which chunks a read needs and how they are grouped: runs of neighbouring
// channel chunks not held (one block read each), a held chunk alone, in row
// order; and the channel spans of the row-by-row path.
import { describe, expect, it } from "vitest";
import { channelRuns, planChunkReads } from "../src/chunk-plan.js";

describe("planChunkReads", () => {
  // cells in chunks of 2, channels of 1, images 8 x 8 in 4 x 4 tiles
  const grid = [2, 1, 4, 4];

  it("groups neighbouring channel chunks into runs, row chunk by row chunk", () => {
    const runs = [...planChunkReads(grid, [5, 0, 1], [4, 0, 1, 2], 0, 0, 4, () => false)];
    expect(runs).toEqual([
      [
        [0, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 2, 0, 0],
      ],
      [[0, 4, 0, 0]],
      [
        [2, 0, 0, 0],
        [2, 1, 0, 0],
        [2, 2, 0, 0],
      ],
      [[2, 4, 0, 0]],
    ]);
  });

  it("reads a held chunk alone and splits the run around it; a window over tiles covers each", () => {
    const held = (c: number[]) => c[1] === 1;
    const runs = [...planChunkReads(grid, [0], [0, 1, 2], 2, 3, 4, held)];
    // window rows 2..5 and columns 3..6: tiles (0, 0), (0, 1), (1, 0), (1, 1)
    const tiles = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    expect(runs).toEqual(tiles.flatMap(([y, x]) => [[[0, 0, y, x]], [[0, 1, y, x]], [[0, 2, y, x]]]));
  });

  it("asks whether a chunk is held only after the runs before it were handed out", () => {
    const handed: string[] = [];
    const asked: string[] = [];
    const held = (c: number[]) => {
      asked.push(`${c}:${handed.length}`);
      return false;
    };
    for (const run of planChunkReads([1, 2, 8, 8], [0, 1], [0, 1], 0, 0, 8, held)) handed.push(String(run));
    expect(handed).toEqual(["0,0,0,0", "1,0,0,0"]);
    expect(asked).toEqual(["0,0,0,0:0", "1,0,0,0:1"]);
  });
});

describe("channelRuns", () => {
  it("merges neighbouring channel chunks and clips the last at the channel count", () => {
    expect(channelRuns([6, 0, 1], 2, 7)).toEqual([
      [0, 2],
      [6, 7],
    ]);
    expect(channelRuns([4, 0, 2, 3], 2, 5)).toEqual([[0, 5]]);
    expect(channelRuns([0, 2], 1, 3)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});
