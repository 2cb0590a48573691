// The same .h5sc files feed PyTorch the way scPortrait's H5ScSingleCellDataset
// does (an h5py handle on obsm/single_cell_images, ids from
// obs/scportrait_cell_id), and give the values our reader gives.
// Needs Debian's python3-torch (apt-get install python3-torch, ~30 s); without
// it the same checks run with h5py + numpy only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { openDataset } from "../src/index.js";
import { type Fixtures, makeFixtures, N_CELLS } from "./fixtures.js";

let fx: Fixtures;
const dir = mkdtempSync(path.join(tmpdir(), "lazy-torch-"));
beforeAll(() => {
  fx = makeFixtures(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TORCH_DATASET = `
import json, sys, numpy as np, h5py
inp = json.loads(sys.stdin.read())
try:
    import torch
    from torch.utils.data import Dataset, DataLoader
    have_torch = True
except ImportError:
    Dataset, have_torch = object, False

class H5ScCells(Dataset):
    """As scPortrait's H5ScSingleCellDataset: one h5py handle, images by index, cellIDs from obs."""
    def __init__(self, path):
        self.f = h5py.File(path, "r")
        self.images = self.f["obsm/single_cell_images"]
        self.ids = self.f["obs/scportrait_cell_id"][:]
    def __len__(self):
        return self.images.shape[0]
    def __getitem__(self, i):
        x = self.images[i].astype(np.float32)
        return (torch.from_numpy(x) if have_torch else x), int(self.ids[i])

ds = H5ScCells(inp["path"])
ours = np.array(inp["values"], dtype=np.float32).reshape([len(inp["rows"])] + list(ds.images.shape[1:]))
same = all(np.array_equal(np.asarray(ds[r][0]), ours[k]) and ds[r][1] == inp["ids"][k] for k, r in enumerate(inp["rows"]))
n_batches, shape = 0, None
if have_torch:
    for x, ids in DataLoader(ds, batch_size=16, shuffle=True, num_workers=0):
        n_batches += 1; shape = shape or list(x.shape); assert x.dtype == torch.float32
print(json.dumps({"torch": have_torch, "len": len(ds), "same": bool(same), "batches": n_batches, "shape": shape}))
`;

for (const kind of ["h5lzf", "h5gzip"] as const) {
  it(`${kind}: loads in a PyTorch Dataset as scPortrait's reader loads it, with our values`, async () => {
    const ds = await openDataset(fx[kind]);
    const rows = [0, 13, N_CELLS - 1];
    const cells = await ds.getCells(rows);
    const res = py(TORCH_DATASET, { path: fx[kind], rows, ids: cells.cellIds, values: Array.from(cells.data) });
    expect(res.len).toBe(N_CELLS);
    expect(res.same).toBe(true);
    if (res.torch) {
      expect(res.batches).toBe(Math.ceil(N_CELLS / 16));
      expect(res.shape).toEqual([16, ...ds.shape.slice(1)]);
    } else {
      console.warn("python3-torch is not installed: checked with h5py + numpy only");
    }
    await ds.close();
  });
}
