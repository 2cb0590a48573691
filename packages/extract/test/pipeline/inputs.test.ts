// Inputs as people have them: a binary 0/255 nucleus mask, a
// cytosol mask from an independent segmentation (other ids, cytosols without a
// nucleus, one cytosol over two nuclei, one nucleus split between two
// cytosols), channel names from OME-TIFF / OME-Zarr, and channel names that
// must be refused. Fixtures are real TIFF / Zarr files written by tifffile /
// zarr-python; values are judged against extract_reference.py run on the
// masks skimage.measure.label and scPortrait's matching rules
// (make_inputs.py) make of them.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PYTHON12, py, TEST_DATA } from "../../../../test-utils/oracle.js";
import { extract } from "../../src/pipeline.js";
import { makeSlide, maxAbsDiff, reference, type Slide, tempDir } from "./helpers.js";

const SIZE = 32;
let slide: Slide;
let made: {
  binary_components: number;
  shared_pair: number[];
  split_cell: number;
  extra_cytosols: number[];
  matched: number[];
  outside: number[];
  split: number[];
  shared: number[];
  unmatched_cytosols: number[];
};

beforeAll(() => {
  slide = makeSlide({ height: 200, width: 260, channels: 3, seed: 5 });
  const res = spawnSync(PYTHON12, [path.join(import.meta.dirname, "make_inputs.py"), slide.dir, JSON.stringify({ height: slide.height, width: slide.width })], {
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`make_inputs.py failed: ${res.stderr}`);
  made = JSON.parse(res.stdout.trim().split("\n").pop() as string);
});

/** The stacks of an .h5sc as float16 bits, and its obs ids and var names. */
function readBack(file: string): { ids: number[]; channels: string[]; stacks: Uint16Array } {
  const raw = `${file}.f16`;
  const r = py(
    `
import json, sys, anndata, numpy as np
p = json.loads(sys.stdin.read())
ad = anndata.read_h5ad(p["file"])
np.asarray(ad.obsm["single_cell_images"]).astype("<f2").tofile(p["raw"])
print(json.dumps({"ids": [int(i) for i in ad.obs["scportrait_cell_id"]], "channels": [str(c) for c in ad.var["channels"]]}))`,
    { file, raw },
  );
  const b = readFileSync(raw);
  return { ...r, stacks: new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2) };
}

async function refused(options: Partial<Parameters<typeof extract>[0]>, message: RegExp): Promise<void> {
  const dir = tempDir("refused");
  await expect(extract({ image: slide.image, nucleus: slide.nucleus, size: SIZE, threads: 1, ...options, out: path.join(dir, "cells.h5sc") })).rejects.toThrow(message);
  expect(readdirSync(dir)).toEqual([]); // nothing half-written
}

describe("a binary (0/255) nucleus mask", () => {
  it("is labelled into its connected components, ids in raster order as skimage.measure.label; stacks equal the reference on that labelling", async () => {
    const out = path.join(tempDir("binary"), "cells.h5sc");
    const s = await extract({ image: slide.image, nucleus: path.join(slide.dir, "nucleus_bin.tif"), out, size: SIZE, threads: 2 });
    expect(s.masks.nucleusBinary).toBe(made.binary_components);
    expect(made.binary_components).toBeGreaterThan(50);
    expect(s.masks.match).toBeNull();
    const ref = reference(slide, { size: SIZE }, { cytosol: false, nucleusRaw: ["nucleus_bin_lab.raw", "uint32"] });
    const got = readBack(out);
    expect(got.ids).toEqual(ref.ids);
    expect(s.droppedAtBorder).toEqual(ref.dropped);
    expect(maxAbsDiff(got.stacks, ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it("is refused with binaryMasks: refuse, naming the mask and the option", async () => {
    await refused(
      { nucleus: path.join(slide.dir, "nucleus_bin.tif"), binaryMasks: "refuse" },
      new RegExp(`nucleus_bin\\.tif: the nucleus mask is binary \\(one label, 255, over ${made.binary_components} separate regions\\); expected a label mask .*--binary-masks label`),
    );
  });

  it("a mask of one label and one region is one cell, not a binary mask", async () => {
    const dir = tempDir("one");
    py(
      `import json,sys,numpy as np,tifffile; p=json.loads(sys.stdin.read()); m=np.zeros((200,260),np.uint8); m[90:110,120:140]=255; tifffile.imwrite(p, m); print("{}")`,
      `${dir}/one.tif`,
    );
    const s = await extract({ image: slide.image, nucleus: `${dir}/one.tif`, out: `${dir}/cells.h5sc`, size: SIZE, threads: 1 });
    expect(s.masks.nucleusBinary).toBeNull();
    expect(s.cellsWritten).toBe(1);
    expect(readBack(`${dir}/cells.h5sc`).ids).toEqual([255]);
  });
});

describe("nucleus and cytosol from independent segmentations", () => {
  const cytosolInd = () => path.join(slide.dir, "cytosol_ind.tif");

  it("auto matches them by overlap as scPortrait's filter does; the matched stacks equal the reference's on scPortrait's matched masks", async () => {
    const out = path.join(tempDir("overlap"), "cells.h5sc");
    const s = await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: cytosolInd(), out, size: SIZE, threads: 2 });
    expect(s.masks.match).toBe("overlap");
    expect(s.masks.idsAgree).toBeLessThan(0.1);
    // The fixture holds every case: a nucleus outside any cytosol, one split between two, two sharing one, cytosols with no nucleus.
    expect(made.outside).toContain(slide.missing);
    expect(made.split).toEqual([made.split_cell]);
    expect(made.shared).toEqual(made.shared_pair);
    for (const c of made.extra_cytosols) expect(made.unmatched_cytosols).toContain(c);
    expect(s.masks.unmatchedNuclei).toEqual({ outsideCytosol: made.outside, noMajorityCytosol: made.split, sharedCytosol: made.shared });
    expect(s.masks.unmatchedCytosols).toEqual(made.unmatched_cytosols);
    const ref = reference(slide, { size: SIZE }, { ids: made.matched, nucleusRaw: ["nucleus_matched.raw", "int32"], cytosolRaw: ["cytosol_matched.raw", "int32"] });
    const got = readBack(out);
    expect(got.ids).toEqual(ref.ids);
    expect(s.droppedAtBorder).toEqual(ref.dropped);
    expect(s.missingCytosol).toEqual(ref.cytosol_missing);
    expect(maxAbsDiff(got.stacks, ref.stacks).max).toBeLessThanOrEqual(1e-3);
  });

  it("match: ids stops before writing: most cells would have no cytosol, and it says which option helps", async () => {
    await refused({ cytosol: cytosolInd(), match: "ids" }, /cytosol_ind\.tif: \d+ of \d+ cells have no pixel of their id in the cytosol mask .*--match overlap/);
  });

  it("masks of one segmentation keep their ids under auto (the same as before)", async () => {
    const out = path.join(tempDir("same"), "cells.h5sc");
    const s = await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out, size: SIZE, threads: 1 });
    expect(s.masks.match).toBe("ids");
    expect(s.masks.idsAgree).toBeGreaterThan(0.9);
    const ref = reference(slide, { size: SIZE });
    expect(readBack(out).ids).toEqual(ref.ids);
    expect(s.missingCytosol).toEqual([slide.missing]);
  });

  it("a cytosol mask unrelated to the nuclei stops the overlap match with the reason", async () => {
    const dir = tempDir("unrelated");
    py(
      `import json,sys,numpy as np,tifffile; p=json.loads(sys.stdin.read()); m=np.zeros((200,260),np.uint16); m[0:10,0:10]=1; tifffile.imwrite(p, m); print("{}")`,
      `${dir}/far.tif`,
    );
    await refused({ cytosol: `${dir}/far.tif`, match: "overlap" }, /far\.tif: only 0 of \d+ nuclei lie in a cytosol of their own .*--match-threshold/);
  });
});

describe("channel names", () => {
  const sample = (f: string) => path.join(TEST_DATA, "sample", f);

  it("an OME-TIFF's Channel Names become the default names", async () => {
    const out = path.join(tempDir("ome"), "cells.h5sc");
    const s = await extract({ image: sample("image.tif"), nucleus: sample("nucleus.tif"), cytosol: sample("cytosol.tif"), out, size: 48, threads: 1 });
    expect(s.channelNames).toEqual(["DNA", "PH3", "CellBody"]);
    expect(s.channelNamesFrom).toBe("file");
    expect(readBack(out).channels).toEqual(["nucleus_mask", "cytosol_mask", "DNA", "PH3", "CellBody"]);
    // --channel-names still wins
    const other = path.join(tempDir("ome2"), "cells.h5sc");
    const t = await extract({ image: sample("image.tif"), nucleus: sample("nucleus.tif"), out: other, size: 48, threads: 1, channelNames: ["a", "b", "c"] });
    expect(t.channelNamesFrom).toBe("option");
    expect(readBack(other).channels).toEqual(["nucleus_mask", "a", "b", "c"]);
  });

  it("an OME-Zarr's omero.channels labels become the default names", async () => {
    const dir = tempDir("omezarr");
    py(
      `
import json, sys, tifffile, zarr
p = json.loads(sys.stdin.read())
g = zarr.open_group(p["dir"] + "/image.ome.zarr", mode="w")
g.attrs["multiscales"] = [{"version": "0.4", "axes": [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}], "datasets": [{"path": "0"}]}]
g.attrs["omero"] = {"channels": [{"label": "Hoechst"}, {"label": "GFP"}, {"label": "mCherry"}]}
g.create_dataset("0", data=tifffile.imread(p["image"]), chunks=(1, 64, 64))
print("{}")`,
      { dir, image: slide.image },
    );
    const s = await extract({ image: `${dir}/image.ome.zarr`, nucleus: slide.nucleus, out: `${dir}/cells.h5sc`, size: SIZE, threads: 1 });
    expect(s.channelNames).toEqual(["Hoechst", "GFP", "mCherry"]);
  });

  it("an OME-Zarr (t, c, z, y, x) of one z and t reads as its channels; a z-stack is refused naming the axis and the fix", async () => {
    const dir = tempDir("omezarr5");
    py(
      `
import json, sys, numpy as np, tifffile, zarr
p = json.loads(sys.stdin.read())
img = tifffile.imread(p["image"])
axes = [{"name": n, "type": t} for n, t in (("t", "time"), ("c", "channel"), ("z", "space"), ("y", "space"), ("x", "space"))]
for name, z in (("flat", 1), ("stack", 3)):
    g = zarr.open_group(f"{p['dir']}/{name}.ome.zarr", mode="w")
    g.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
    g.create_dataset("0", data=np.stack([img] * z, axis=1)[None], chunks=(1, 1, 1, 64, 64))
print("{}")`,
      { dir, image: slide.image },
    );
    const flat = await extract({ image: `${dir}/flat.ome.zarr`, nucleus: slide.nucleus, out: `${dir}/flat.h5sc`, size: SIZE, threads: 1 });
    const plain = await extract({ image: slide.image, nucleus: slide.nucleus, out: `${dir}/plain.h5sc`, size: SIZE, threads: 1 });
    expect(flat.cellsWritten).toBe(plain.cellsWritten);
    const [a, b] = [readBack(`${dir}/flat.h5sc`), readBack(`${dir}/plain.h5sc`)];
    expect(a.ids).toEqual(b.ids);
    expect(Buffer.from(a.stacks.buffer, a.stacks.byteOffset, a.stacks.byteLength).equals(Buffer.from(b.stacks.buffer, b.stacks.byteOffset, b.stacks.byteLength))).toBe(true);
    await expect(extract({ image: `${dir}/stack.ome.zarr`, nucleus: slide.nucleus, out: `${dir}/stack.h5sc`, size: SIZE, threads: 1 })).rejects.toThrow(
      /stack\.ome\.zarr: \/0: axes \[t,c,z,y,x\] of shape \(1,3,3,\d+,\d+\), 3 along z; expected one 2-D plane per channel .*maximum projection/,
    );
  });

  it("duplicate names and mask channel names are refused, naming --channel-names, the name and the fix", async () => {
    await refused({ channelNames: ["dna", "a", "dna"] }, /^channelNames: "dna" names two channels in --channel-names; expected a different name for each channel: give each channel its own name in --channel-names$/);
    await refused({ channelNames: ["dna", "nucleus_mask", "b"] }, /^channelNames: channel 1 is named "nucleus_mask" in --channel-names, the name of a mask channel; expected image channel names other than nucleus_mask and cytosol_mask/);
    await refused({ channelNames: ["cytosol_mask", "a", "b"] }, /"cytosol_mask" .*the name of a mask channel/);
    await refused({ channelNames: ["a", "b"] }, /^channelNames: 2 names for the 3 channel\(s\) of .*image\.tif; expected one per channel \(--channel-names/);
  });

  it("an OME-TIFF naming two channels alike is refused unless --channel-names names them", async () => {
    const dir = tempDir("dupome");
    py(
      `
import json, sys, tifffile
p = json.loads(sys.stdin.read())
tifffile.imwrite(p["out"], tifffile.imread(p["image"]), metadata={"axes": "CYX", "Channel": {"Name": ["DAPI", "DAPI", "GFP"]}})
print("{}")`,
      { image: slide.image, out: `${dir}/dup.ome.tif` },
    );
    await refused({ image: `${dir}/dup.ome.tif` }, /dup\.ome\.tif: "DAPI" names two channels among the channel names the file gives; .*--channel-names/);
    const s = await extract({ image: `${dir}/dup.ome.tif`, nucleus: slide.nucleus, out: `${dir}/cells.h5sc`, size: SIZE, threads: 1, channelNames: ["DAPI", "DAPI2", "GFP"] });
    expect(s.channelNames).toEqual(["DAPI", "DAPI2", "GFP"]);
  });
});

describe("masks inside a zipped Zarr store, as 10x Xenium's cells.zarr.zip holds them", () => {
  it("--nucleus STORE.zarr.zip/masks/0 and --cytosol .../masks/1 give the stacks the same masks as TIFFs give; a path the store lacks is refused naming both", async () => {
    const dir = tempDir("xenium");
    const store = `${dir}/cells.zarr.zip`;
    // Xenium's layout: masks/0 the nucleus mask, masks/1 the cell mask (uint32, image space), beside other arrays
    py(
      `
import json, sys, numpy as np, tifffile, zarr
p = json.loads(sys.stdin.read())
store = zarr.ZipStore(p["store"], mode="w")
root = zarr.group(store=store)
root.create_dataset("cell_id", data=np.arange(10, dtype=np.uint32).reshape(5, 2))
masks = root.create_group("masks")
masks.create_dataset("0", data=tifffile.imread(p["nucleus"]).astype(np.uint32), chunks=(64, 64))
masks.create_dataset("1", data=tifffile.imread(p["cytosol"]).astype(np.uint32), chunks=(64, 64))
masks.create_dataset("homogeneous_transform", data=np.eye(3, dtype=np.float32))
store.close()
print("{}")`,
      { store, nucleus: slide.nucleus, cytosol: slide.cytosol },
    );
    const zipped = await extract({ image: slide.image, nucleus: `${store}/masks/0`, cytosol: `${store}/masks/1`, out: `${dir}/zipped.h5sc`, size: SIZE, threads: 1 });
    const tiffs = await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out: `${dir}/tiffs.h5sc`, size: SIZE, threads: 1 });
    expect(zipped.cellsWritten).toBe(tiffs.cellsWritten);
    expect(zipped.cellsWritten).toBeGreaterThan(10);
    const [a, b] = [readBack(`${dir}/zipped.h5sc`), readBack(`${dir}/tiffs.h5sc`)];
    expect(a.ids).toEqual(b.ids);
    expect(Buffer.from(a.stacks.buffer, a.stacks.byteOffset, a.stacks.byteLength).equals(Buffer.from(b.stacks.buffer, b.stacks.byteOffset, b.stacks.byteLength))).toBe(true);
    await expect(extract({ image: slide.image, nucleus: `${store}/masks/2`, out: `${dir}/none.h5sc`, size: SIZE, threads: 1 })).rejects.toThrow(
      /cells\.zarr\.zip: no array or group at "\/masks\/2" in the store; expected the path of an image array inside it/,
    );
  });
});
