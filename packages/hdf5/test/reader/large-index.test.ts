// A chunk index too large to load at a dataset's first read: a local file
// whose grid has over LARGE_INDEX chunks is searched along the paths to
// the chunks a small read needs (as a remote one is), and loaded whole at the
// first large read. Bytes read are counted at the source.
import { describe, expect, it } from "vitest";
import { MemorySource, openHdf5File } from "../../src/index.js";
import { LARGE_INDEX } from "../../src/reader/dataset.js";
import { sparseFile } from "./sparse-file.js";

class CountingSource extends MemorySource {
  bytesRead = 0;
  override async read(offset: number, length: number): Promise<Uint8Array> {
    this.bytesRead += length;
    return super.read(offset, length);
  }
}

describe("a large local chunk index", () => {
  it("is searched for a small read (a few nodes), and loaded whole for a large one", async () => {
    const n = LARGE_INDEX + 1000;
    const step = Math.floor(n / 10_000);
    const bytes = await sparseFile(n, 10_000);
    const read = async (mode: "auto" | "load", start: number, count: number) => {
      const src = new CountingSource(bytes, "sparse.h5");
      const f = await openHdf5File(src, { chunkIndex: mode });
      const x = await f.dataset("x");
      const before = src.bytesRead;
      const v = await x.read([start], [count]);
      const used = src.bytesRead - before;
      await f.close();
      return { v: Array.from(v as Int32Array), used };
    };
    const searched = await read("auto", 4321 * step, 1);
    const loaded = await read("load", 4321 * step, 1);
    expect(searched.v).toEqual([4321 * step]);
    expect(loaded.v).toEqual([4321 * step]);
    // the index's 10,000 records take ~160 leaves of ~2 KB: loading reads them all, a search 3 nodes
    expect(loaded.used).toBeGreaterThan(300_000);
    expect(searched.used).toBeLessThan(20_000);
    // a read of more than 256 chunks loads the index: every written chunk in it, the rest fill (0)
    const wide = await read("auto", 0, 300 * step + 1);
    expect(wide.used).toBeGreaterThan(300_000);
    expect(wide.v.filter((_, i) => i % step === 0)).toEqual(Array.from({ length: 301 }, (_, k) => k * step));
    expect(wide.v.filter((v) => v !== 0).length).toBe(300);
  });

  it("below the bound, a local file loads its index at the first read", async () => {
    const bytes = await sparseFile(200_000, 2_000);
    const src = new CountingSource(bytes, "small.h5");
    const f = await openHdf5File(src);
    const x = await f.dataset("x");
    const before = src.bytesRead;
    expect(Array.from((await x.read([100], [1])) as Int32Array)).toEqual([100]);
    expect(src.bytesRead - before).toBeGreaterThan(2_000 * 24); // every record's key
    await f.close();
  });
});
