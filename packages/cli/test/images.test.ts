// The export encoders, judged by PIL and tifffile.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { encodePng, toUint8 } from "../src/images/png.js";
import { encodeTiffFloat32 } from "../src/images/tiff.js";

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-images-"));

describe("PNG encoder", () => {
  it("writes grey and RGB images PIL reads pixel for pixel", () => {
    const w = 37;
    const h = 23;
    const grey = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 256);
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 13 + 5) % 256);
    writeFileSync(path.join(dir, "grey.png"), encodePng(grey, w, h, 1));
    writeFileSync(path.join(dir, "rgb.png"), encodePng(rgb, w, h, 3));
    const got = py(
      `
import json, sys, numpy as np
from PIL import Image
d = json.loads(sys.stdin.read())
g = Image.open(d + "/grey.png"); c = Image.open(d + "/rgb.png")
print(json.dumps({"modes": [g.mode, c.mode], "size": list(g.size), "grey": np.asarray(g).ravel().tolist(), "rgb": np.asarray(c).ravel().tolist()}))
`,
      dir,
    );
    expect(got.modes).toEqual(["L", "RGB"]);
    expect(got.size).toEqual([w, h]);
    expect(got.grey).toEqual(Array.from(grey));
    expect(got.rgb).toEqual(Array.from(rgb));
  });

  it("scales [0, 1] to 0..255 with clipping", () => {
    expect(Array.from(toUint8(Float32Array.from([-1, 0, 0.5, 1, 2, Number.NaN])))).toEqual([0, 0, 128, 255, 255, 0]);
  });
});

describe("TIFF encoder", () => {
  it("writes multi-page float32 TIFFs tifffile reads exactly", () => {
    const w = 9;
    const h = 5;
    const pages = [0, 1, 2].map((k) => Float32Array.from({ length: w * h }, (_, i) => Math.sin(i + k) * 0.5 + 0.25));
    writeFileSync(path.join(dir, "cell.tif"), encodeTiffFloat32(pages, w, h, '{"cellID": 7}'));
    const got = py(
      `
import json, sys, tifffile
d = json.loads(sys.stdin.read())
with tifffile.TiffFile(d + "/cell.tif") as t:
    a = t.asarray()
    desc = t.pages[0].description
print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "values": a.ravel().tolist(), "desc": desc}))
`,
      dir,
    );
    expect(got.shape).toEqual([3, h, w]);
    expect(got.dtype).toBe("float32");
    expect(got.values).toEqual(pages.flatMap((p) => Array.from(p)));
    expect(got.desc).toContain('"cellID": 7');
  });
});
