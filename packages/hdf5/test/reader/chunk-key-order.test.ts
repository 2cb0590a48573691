// A chunk B-tree key out of order (a "wrong copy" the fuzzer once found,
// case 60: three bytes flipped in a key's first offset). The HDF5 library
// finds chunks by binary search over the keys, so h5py then reads chunks
// that are present, with correct keys, as fill values; which ones depends on
// the search path. No reading of such an index is right: we refuse it,
// naming the file and the dataset, and the test shows h5py's misread.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pyZarr3 } from "../../../../test-utils/oracle.js";
import { Hdf5File } from "../../src/reader/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "hdf5-keyorder-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * h5py writes x = 0..63 (int32, chunks of 4: one B-tree leaf of 16 keys);
 * the key of the chunk at 20 is set to `offset`; returns the file and
 * h5py's reading of x from the damaged file.
 */
function damaged(name: string, offset: number): { file: string; h5py: number[] } {
  const file = path.join(dir, name);
  return pyZarr3(
    `import h5py, json, struct, sys, numpy as np
a = json.loads(sys.stdin.read())
with h5py.File(a["file"], "w", libver="earliest") as f:
    f.create_dataset("x", data=np.arange(64, dtype="<i4"), chunks=(4,))
b = bytearray(open(a["file"], "rb").read())
key = struct.pack("<IIQQ", 16, 0, 20, 0)  # size, filter mask, offset, the element offset 0
at = b.find(key)
assert at > 0 and b.find(key, at + 1) < 0
b[at + 8 : at + 16] = struct.pack("<Q", a["offset"])
open(a["file"], "wb").write(b)
with h5py.File(a["file"], "r") as f:
    print(json.dumps({"file": a["file"], "h5py": f["x"][()].tolist()}))`,
    { file, offset },
  );
}

describe("a chunk B-tree key out of order", () => {
  for (const [name, offset] of [
    ["key-huge.h5", 3224288], // past the shape (the fuzz case's flip)
    ["key-later.h5", 52], // in the shape, the offset of another chunk
    ["key-earlier.h5", 8], // before its left neighbour
  ] as const) {
    it(`key of chunk 20 set to ${offset}: h5py misses present chunks; we refuse, naming the dataset`, async () => {
      const d = damaged(name, offset);
      // h5py: values of chunks whose keys are intact come back as fill (0)
      const missed = d.h5py.map((v, i) => [i, v]).filter(([i, v]) => v !== i && !(i >= 20 && i < 24));
      expect(missed.length).toBeGreaterThan(0);
      const file = await Hdf5File.open(d.file);
      const x = await file.dataset("x");
      await expect(x.read()).rejects.toThrow(new RegExp(`${name.replace(".", "\\.")}: /x: .*chunk B-tree key.*corrupt`));
      await file.close();
    });
  }

  it("an undamaged file reads equal to h5py (the check refuses nothing valid)", async () => {
    const file = path.join(dir, "fine.h5");
    const want: number[] = pyZarr3(
      `import h5py, json, sys, numpy as np
p = json.loads(sys.stdin.read())
with h5py.File(p, "w", libver="earliest") as f:
    f.create_dataset("x", data=np.arange(5000, dtype="<i4") * 3, chunks=(4,))  # 1,250 chunks: a B-tree of several levels
with h5py.File(p, "r") as f:
    print(json.dumps(f["x"][()].tolist()))`,
      file,
    );
    const f = await Hdf5File.open(file);
    const v = (await (await f.dataset("x")).read()) as Int32Array;
    expect(Array.from(v)).toEqual(want);
    await f.close();
  });
});
