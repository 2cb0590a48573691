// readRows: rows of axis 0 in any order (repeats allowed), each a box of the
// other axes, as one array: what a shuffled training batch reads. Judged
// against zarr-python 2 and 3 (their own files, their own fancy indexing),
// on the gather path (chunks one row high, a local store: shared with the
// codec workers when there are any) and on the row-by-row fallback.
import { afterAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3 } from "../../../../test-utils/oracle.js";
import type { TypedArray } from "../../src/types.js";
import { openZarr } from "../../src/zarr/index.js";
import { scratch } from "./helpers.js";

const { dir, cleanup } = scratch("rows");
afterAll(cleanup);

const ROWS = [5, 3, 3, 39, 0, 17, 8, 9, 22, 31, 12, 12, 38];
const BOXES: [number[], number[]][] = [
  [[0, 0, 0], [3, 10, 12]], // whole rows
  [[1, 2, 3], [2, 7, 6]], // a box inside: partial chunks
];
// zarr-python's side: the same rows and boxes with numpy fancy indexing
const PEER = `
import json, sys, numpy as np
def picks(z, rows, boxes):
    a = z.get_orthogonal_selection((rows, slice(None), slice(None), slice(None)))
    return [a[:, s[0]:s[0] + n[0], s[1]:s[1] + n[1], s[2]:s[2] + n[2]].ravel().tolist() for s, n in boxes]
`;

async function check(store: string, names: string[], theirs: Record<string, number[][]>): Promise<void> {
  const zr = await openZarr(store);
  if (!zr.readRows) throw new Error("this Zarr reader has no readRows");
  const r = zr as typeof zr & Required<Pick<typeof zr, "readRows">>;
  for (const name of names) {
    for (const [b, [start, shape]] of BOXES.entries()) {
      const n = ROWS.length * shape.reduce((a, c) => a * c, 1);
      const fresh = await r.readRows(name, ROWS, start, shape);
      expect(fresh.shape).toEqual([ROWS.length, ...shape]);
      expect(Array.from(fresh.data as Uint16Array), `${name} box ${b}`).toEqual(theirs[name][b]);
      // into a dirty buffer, plain and over shared memory
      for (const into of [new Uint16Array(n + 9), new Uint16Array(new SharedArrayBuffer(2 * n))]) {
        into.fill(0xffff);
        const got = await r.readRows(name, ROWS, start, shape, { into });
        expect((got.data as TypedArray).buffer).toBe(into.buffer);
        expect(Array.from(got.data as Uint16Array), `${name} box ${b} into`).toEqual(theirs[name][b]);
      }
    }
  }
  await expect(r.readRows(names[0], [0, 40], [0, 0, 0], [3, 10, 12])).rejects.toThrow(/x.*row 40 is outside the array's 40 rows/);
  await expect(r.readRows(names[0], [0], [0, 0], [3, 10])).rejects.toThrow(/x.*outside the array's shape/);
  await r.close();
}

describe("readRows", () => {
  it("Zarr v2 (zarr-python 2): chunks one row high (gathered) and two rows high (row by row), fill value, repeats", async () => {
    const store = `${dir}/zp2.zarr`;
    const theirs = py(
      `${PEER}
import zarr
from numcodecs import Blosc
inp = json.loads(sys.stdin.read())
g = zarr.open_group(inp["path"], mode="w")
a = (0x3c00 + np.arange(40 * 360) % 997).astype("<u2").reshape(40, 3, 10, 12)
out = {}
for name, chunks in (("x", (1, 3, 5, 12)), ("y", (2, 3, 10, 12))):
    z = g.create_dataset(name, shape=a.shape, chunks=chunks, dtype="<u2", fill_value=7,
                         compressor=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
    z[:8] = a[:8]   # rows 8-11 never written: the fill value
    z[12:] = a[12:]
    out[name] = picks(z, inp["rows"], inp["boxes"])
print(json.dumps(out))
`,
      { path: store, rows: ROWS, boxes: BOXES },
    );
    await check(store, ["x", "y"], theirs);
  });

  it.skipIf(!hasZarr3())("Zarr v3 sharded (zarr-python 3): inner chunks one row high, partial shards, missing inner chunks and shards", async () => {
    const store = `${dir}/zp3.zarr`;
    const theirs = pyZarr3(
      `${PEER}
import zarr
inp = json.loads(sys.stdin.read())
g = zarr.open_group(inp["path"], mode="w", zarr_format=3)
a = (0x3c00 + np.arange(40 * 360) % 997).astype("<u2").reshape(40, 3, 10, 12)
z = g.create_array("x", shape=a.shape, chunks=(1, 3, 10, 12), shards=(16, 3, 10, 12), dtype="<u2", fill_value=7)
z[:9] = a[:9]    # rows 9-15: inner chunks the first shard does not hold
z[32:] = a[32:]  # rows 16-31: no shard file; the last shard is partial
print(json.dumps({"x": picks(z, inp["rows"], inp["boxes"])}))
`,
      { path: store, rows: ROWS, boxes: BOXES },
    );
    await check(store, ["x"], theirs);
  });
});
