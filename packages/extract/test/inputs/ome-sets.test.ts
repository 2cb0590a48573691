// OME-TIFFs whose channels are not simply the pages of one file, as
// Bio-Formats and acquisition software write them: a multi-file set (one file
// per channel or group of channels, each carrying the whole OME-XML and the
// others' names), a set whose XML sits in a companion .ome file, planes
// mapped to directories out of channel order. Whichever file of a set is
// given, its channels are the set's, equal to tifffile's reading of the set
// (and to the arrays written); a z-stack (OME or ImageJ) and a set missing a
// file are refused.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PEER_UTILS, pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { openImageSource } from "../../src/inputs/index.js";
import { tempDir } from "../pipeline/helpers.js";

const H = 75;
const W = 109;

const MAKE = `
import json, os, sys, uuid
sys.path.insert(0, ${JSON.stringify(PEER_UTILS)})
import numpy as np, tifffile
from ome_sets import ome_xml, write_companion_set, write_set
d = json.loads(sys.stdin.read())
H, W = ${H}, ${W}
a = np.random.default_rng(5).integers(0, 60000, (4, H, W)).astype(np.uint16)
names = ["DNA", "Marker", "Body", "Edge"]
a.tofile(f"{d}/four.raw")
# four channels in three files (2 + 1 + 1), each file its own layout
layouts = [dict(tile=(32, 32), compression="zlib"), dict(compression="lzw", rowsperstrip=8), dict(tile=(16, 48), compression="zlib", predictor=True)]
files = write_set(d, "set", a, names, [2, 1, 1], lambda k: layouts[k])
for f in files:
    with tifffile.TiffFile(f"{d}/{f}") as tf:
        assert np.array_equal(tf.series[0].asarray(), a), f  # tifffile reads the whole set from any of its files
# one file, dimension order XYZCT, channel k in directory (k + 2) % 3
xml = ome_xml(f"urn:uuid:{uuid.uuid4()}", H, W, "uint16", names[:3], [(k, (k + 2) % 3, 1, None, None) for k in range(3)], order="XYZCT")
with tifffile.TiffWriter(f"{d}/reordered.ome.tif") as t:
    for ifd in range(3):
        k = (ifd + 1) % 3
        t.write(a[k], description=xml if ifd == 0 else None, metadata=None, photometric="minisblack", tile=(32, 32), compression="zlib")
with tifffile.TiffFile(f"{d}/reordered.ome.tif") as tf:
    assert np.array_equal(tf.series[0].asarray(), a[:3])
# the XML in a companion file, each TIFF a BinaryOnly pointer (tifffile reads such a TIFF as its own plane only)
cfiles, companion = write_companion_set(d, "comp", a[:2], names[:2], dict(tile=(32, 32), compression="zlib"))
for k, f in enumerate(cfiles):
    assert np.array_equal(tifffile.imread(f"{d}/{f}"), a[k])
# a z-stack of two channels
tifffile.imwrite(f"{d}/zstack.ome.tif", np.stack([a[:2]] * 3), ome=True, metadata={"axes": "ZCYX"}, photometric="minisblack")
# ImageJ / Fiji: a hyperstack of 3 slices of 2 channels, and 2 channels alone
tifffile.imwrite(f"{d}/imagej_zstack.tif", np.stack([a[:2]] * 3), imagej=True, metadata={"axes": "ZCYX"})
tifffile.imwrite(f"{d}/imagej_channels.tif", a[:2], imagej=True, metadata={"axes": "CYX"})
# a set one of whose files is gone
gone = write_set(d, "gone", a[:2], names[:2], [1, 1], lambda k: {})
os.remove(f"{d}/{gone[1]}")
print(json.dumps({"set": files, "companion": companion, "cfiles": cfiles, "gone": gone}))
`;

let dir: string;
let made: { set: string[]; companion: string; cfiles: string[]; gone: string[] };
let four: Uint16Array;

beforeAll(() => {
  if (skipPeer("latest")) return;
  dir = tempDir("ome-sets");
  made = pyPeer("latest", MAKE, dir);
  const b = readFileSync(path.join(dir, "four.raw"));
  four = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
}, 120_000);

/** Channel c's plane of the arrays written. */
const plane = (c: number) => Array.from(four.subarray(c * H * W, (c + 1) * H * W));

async function channelsOf(file: string): Promise<{ names?: string[]; planes: number[][]; windows: number[][] }> {
  const src = await openImageSource(path.join(dir, file));
  try {
    expect([src.height, src.width, src.dtype]).toEqual([H, W, "uint16"]);
    const whole = await src.readWindow(0, 0, H, W);
    // a window across tiles and strips, as the pipeline's bands read
    const part = await src.readWindow(17, 30, 33, 51);
    return { names: src.channelNames, planes: whole.map((p) => Array.from(p)), windows: part.map((p) => Array.from(p)) };
  } finally {
    await src.close();
  }
}

function windowOf(values: number[], y0: number, x0: number, h: number, w: number): number[] {
  const out: number[] = [];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push(values[y * W + x]);
  return out;
}

describe.skipIf(skipPeer("latest"))("OME-TIFF sets", () => {
  it("a multi-file set: any of its files gives all four channels, in channel order, named, equal to tifffile's reading", async () => {
    for (const file of made.set) {
      const got = await channelsOf(file);
      expect(got.names, file).toEqual(["DNA", "Marker", "Body", "Edge"]);
      expect(got.planes.length, file).toBe(4);
      for (let c = 0; c < 4; c++) {
        expect(got.planes[c], `${file} channel ${c}`).toEqual(plane(c));
        expect(got.windows[c], `${file} channel ${c} window`).toEqual(windowOf(plane(c), 17, 30, 33, 51));
      }
    }
  });

  it("one file whose OME-XML maps channels to directories out of order (XYZCT): each channel's own plane", async () => {
    const got = await channelsOf("reordered.ome.tif");
    expect(got.names).toEqual(["DNA", "Marker", "Body"]);
    expect(got.planes).toEqual([plane(0), plane(1), plane(2)]);
  });

  it("a companion .ome set: the companion file or any TIFF of the set gives the set's channels", async () => {
    for (const file of [made.companion, ...made.cfiles]) {
      const got = await channelsOf(file);
      expect(got.names, file).toEqual(["DNA", "Marker"]);
      expect(got.planes, file).toEqual([plane(0), plane(1)]);
    }
  });

  it("an ImageJ file of channels reads as its channels", async () => {
    const got = await channelsOf("imagej_channels.tif");
    expect(got.planes).toEqual([plane(0), plane(1)]);
  });

  it("refused with what to do: an OME z-stack, an ImageJ hyperstack, a set missing a file", async () => {
    await expect(openImageSource(path.join(dir, "zstack.ome.tif"))).rejects.toThrow(
      /zstack\.ome\.tif: an OME-TIFF of 3 z-plane\(s\) and 1 time point\(s\); expected one 2-D plane per channel .*maximum projection/,
    );
    await expect(openImageSource(path.join(dir, "imagej_zstack.tif"))).rejects.toThrow(
      /imagej_zstack\.tif: an ImageJ stack of 3 slice\(s\) and 1 frame\(s\) \(2 channel\(s\)\); expected one 2-D plane per channel: .*Z Project/,
    );
    const missing = path.join(dir, made.gone[1]);
    await expect(openImageSource(path.join(dir, made.gone[0]))).rejects.toThrow(
      new RegExp(`${made.gone[0].replace(/\./g, "\\.")}: its OME-XML puts channel planes in ${missing.replace(/\./g, "\\.")}, which is missing; expected every file of the OME-TIFF set beside it`),
    );
  });
});
