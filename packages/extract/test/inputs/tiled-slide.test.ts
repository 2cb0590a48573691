// The extraction of a slide stored as users have it - a tiled, zlib-compressed
// OME-TIFF with tiled compressed masks (or LZW with the predictor) - is the
// extraction of the same slide uncompressed, bit for bit: tiles cut by the
// bands, decoded once and copied into them, change nothing. The compressed
// copies are made by tifffile 2026 + imagecodecs (the "latest" peer) from a
// make_slide.py slide; the stacks are compared through h5py. So is a slide
// whose image is a multi-file OME-TIFF set (a file per channel).
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PEER_UTILS, pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { extract } from "../../src/pipeline.js";
import { makeSlide, type Slide, tempDir } from "../pipeline/helpers.js";

let slide: Slide;
let dir: string;

beforeAll(() => {
  if (skipPeer("latest")) return;
  slide = makeSlide({ height: 300, width: 340, channels: 3, seed: 9 });
  dir = tempDir("tiled-slide");
  pyPeer(
    "latest",
    `
import json, sys, tifffile
sys.path.insert(0, ${JSON.stringify(PEER_UTILS)})
from ome_sets import write_set
p = json.loads(sys.stdin.read())
# the image as a Bio-Formats-style multi-file OME-TIFF set, a file per channel, each laid out its own way
layouts = [dict(tile=(64, 64), compression="zlib"), dict(compression="lzw", rowsperstrip=16, predictor=True), dict(tile=(32, 96), compression="zlib")]
write_set(p["dir"], "set-image", tifffile.imread(p["image"]), ["DNA", "Marker", "Body"], [1, 1, 1], lambda k: layouts[k])
for kind, opts in (("zlib", dict(tile=(64, 64), compression="zlib")), ("lzw", dict(tile=(48, 80), compression="lzw", predictor=True))):
    for name in ("image", "nucleus", "cytosol"):
        a = tifffile.imread(p[name])
        extra = dict(ome=True, metadata={"axes": "CYX"}) if name == "image" else {}
        tifffile.imwrite(f"{p['dir']}/{kind}-{name}.tif", a, photometric="minisblack", **extra, **opts)
print("{}")`,
    { dir, image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol },
  );
}, 120_000);

function sameStacks(a: string, b: string): { cells: number; equal: boolean } {
  return pyPeer(
    "latest",
    `
import json, sys, h5py, numpy as np
p = json.loads(sys.stdin.read())
a = h5py.File(p["a"], "r")["obsm/single_cell_images"][:]
b = h5py.File(p["b"], "r")["obsm/single_cell_images"][:]
print(json.dumps({"cells": len(a), "equal": a.shape == b.shape and bool(np.array_equal(a.view(np.uint16), b.view(np.uint16)))}))`,
    { a, b },
  );
}

describe.skipIf(skipPeer("latest"))("a tiled compressed slide", () => {
  it("extracts bitwise as the same slide uncompressed (zlib tiles; LZW tiles with predictor 2), bands cutting tiles", async () => {
    const out = tempDir("tiled-out");
    // Small bands (about 40 rows) so that band windows start and end inside tiles.
    const common = { size: 32, threads: 2, bandBytes: 40 * slide.width * 14, border: "pad" as const };
    const raw = path.join(out, "raw.h5sc");
    const s = await extract({ image: slide.image, nucleus: slide.nucleus, cytosol: slide.cytosol, out: raw, ...common });
    expect(s.cellsWritten).toBeGreaterThan(20);
    for (const kind of ["zlib", "lzw"]) {
      const file = path.join(out, `${kind}.h5sc`);
      const t = await extract({ image: `${dir}/${kind}-image.tif`, nucleus: `${dir}/${kind}-nucleus.tif`, cytosol: `${dir}/${kind}-cytosol.tif`, out: file, ...common });
      expect(t.cellsWritten, kind).toBe(s.cellsWritten);
      expect(sameStacks(raw, file), kind).toEqual({ cells: s.cellsWritten, equal: true });
    }
  });

  it("extracts bitwise as the same slide when the image is a multi-file OME-TIFF set, given by its middle file; the set's channel names are stored", async () => {
    const out = tempDir("set-out");
    const common = { nucleus: `${dir}/zlib-nucleus.tif`, cytosol: `${dir}/zlib-cytosol.tif`, size: 32, threads: 2, border: "pad" as const };
    const raw = path.join(out, "raw.h5sc");
    const s = await extract({ image: slide.image, out: raw, ...common });
    const file = path.join(out, "set.h5sc");
    const t = await extract({ image: `${dir}/set-image_1.ome.tif`, out: file, ...common });
    expect(t.channelNames).toEqual(["DNA", "Marker", "Body"]);
    expect(t.channelNamesFrom).toBe("file");
    expect(sameStacks(raw, file)).toEqual({ cells: s.cellsWritten, equal: true });
  });
});
