// Our TIFF reader (src/inputs/tiff*.ts) against tifffile: files as slide
// scanners and segmentation tools write them, made in the test by tifffile
// 2026 with imagecodecs (the "latest" Python peer), each read whole and by an
// odd window, equal to what tifffile reads (JPEG 2000 among them, as 10x
// Xenium's morphology images hold it). LZW is also checked alone against
// imagecodecs' encoder, on data long enough to clear its table several times.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { kernels } from "@cellfolio/codecs";
import { beforeAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { openImageSource } from "../../src/inputs/index.js";
import { holdsIntegers, PIXEL_ARRAYS, type PixelArray, type PixelType } from "../../src/inputs/source.js";
import { TiffSource } from "../../src/inputs/tiff.js";
import { lzwDecode } from "../../src/inputs/tiff-decode.js";
import { GeotiffSource } from "../../src/inputs/tiff-geotiff.js";
import { tilePoolState } from "../../src/inputs/tile-pool.js";
import { tempDir } from "../pipeline/helpers.js";

interface Made {
  name: string;
  dtype: PixelType;
  channels: number;
  height: number;
  width: number;
  /** tifffile's reading of the page(s): compression, predictor, tiled, byte order. */
  compression: string;
  predictor: number;
  tiled: boolean;
  byteorder: string;
  bigtiff: boolean;
}

// Each file: (C, H, W) values, written as tifffile writes them with these options.
const MAKE = `
import json, sys, numpy as np, tifffile
d = sys.argv[1] if len(sys.argv) > 1 else json.loads(sys.stdin.read())
rng = np.random.default_rng(7)
H, W = 75, 109  # not multiples of the tiles or strips
def smooth(dtype, c=3):
    y, x = np.mgrid[0:H, 0:W]
    base = np.stack([(np.sin(y / (5 + k)) + np.cos(x / (7 + k))) for k in range(c)])
    noise = rng.normal(0, 0.05, base.shape)
    if np.dtype(dtype).kind == "f":
        return (base * 1000 + noise).astype(dtype)
    info = np.iinfo(dtype)
    span = min(info.max, 60000) - max(info.min, 0)
    return (max(info.min, 0) + (base + 2.2) / 4.4 * span + noise * 50).clip(info.min, info.max).astype(dtype)
files = {}
def write(name, a, **kw):
    tifffile.imwrite(f"{d}/{name}.tif", a, **kw)
    files[name] = a
u16 = smooth(np.uint16)
write("zlib_tiled_ome", u16, ome=True, metadata={"axes": "CYX", "Channel": {"Name": ["DNA", "Marker", "Body"]}}, tile=(32, 32), compression="zlib", photometric="minisblack")
write("lzw_strips", u16, compression="lzw", rowsperstrip=8, photometric="minisblack")
write("lzw_tiled_pred", u16, compression="lzw", predictor=True, tile=(16, 48), photometric="minisblack")
write("zlib_pred_u16", u16, compression="zlib", predictor=True, rowsperstrip=13, photometric="minisblack")
write("zlib_pred_u8_rgb", np.moveaxis(smooth(np.uint8), 0, -1).copy(), compression="zlib", predictor=True, tile=(32, 32), photometric="rgb")
write("lzw_u8", smooth(np.uint8, 1)[0], compression="lzw", photometric="minisblack")
write("f32_zlib_tiled", smooth(np.float32), compression="zlib", tile=(32, 32), photometric="minisblack")
write("f32_lzw_floatpred", smooth(np.float32), compression="lzw", predictor=3, rowsperstrip=10, photometric="minisblack")
write("planar_zlib_tiled", u16, compression="zlib", tile=(16, 16), photometric="rgb", planarconfig="separate")
write("big_endian_zlib_pred", u16, compression="zlib", predictor=True, tile=(32, 16), byteorder=">", photometric="minisblack")
write("bigtiff_zlib", u16, compression="zlib", tile=(32, 32), bigtiff=True, photometric="minisblack")
write("raw_tiled_u32", smooth(np.uint32, 1)[0], tile=(16, 16), photometric="minisblack")
write("i16_lzw", (smooth(np.uint16).astype(np.int32) - 30000).astype(np.int16), compression="lzw", photometric="minisblack")
# JPEG 2000 (lossless): 34712 as Xenium and tifffile write it, tiled OME, three channels; 33003 (Bio-Formats' code) in strips, the last one short
write("j2k_tiled_ome", u16, ome=True, metadata={"axes": "CYX"}, tile=(32, 32), compression="jpeg2000", photometric="minisblack")
write("j2k_33003_strips_u8", smooth(np.uint8, 1)[0], compression=33003, rowsperstrip=16, photometric="minisblack")
write("j2k_i16", (smooth(np.uint16, 1)[0].astype(np.int32) - 30000).astype(np.int16), compression="jpeg2000", tile=(32, 32), photometric="minisblack")
# An OME-TIFF pyramid: levels 1 and 2 in SubIFDs of each channel's page; level 0 is what is read.
with tifffile.TiffWriter(f"{d}/pyramid_ome.tif", ome=True) as t:
    opts = dict(tile=(32, 32), compression="zlib", photometric="minisblack")
    t.write(u16, subifds=2, metadata={"axes": "CYX"}, **opts)
    t.write(u16[:, ::2, ::2], subfiletype=1, **opts)
    t.write(u16[:, ::4, ::4], subfiletype=1, **opts)
files["pyramid_ome"] = u16
# Tiles never written (byte count 0, as sparse writers leave them): tifffile reads them as zeros.
write("sparse_tiles", u16[0], compression="zlib", tile=(16, 16), photometric="minisblack")
with tifffile.TiffFile(f"{d}/sparse_tiles.tif", mode="r+b") as tf:
    tag = tf.pages[0].tags["TileByteCounts"]
    tag.overwrite(tuple(0 if k in (1, 9, 10) else v for k, v in enumerate(tag.value)))
files["sparse_tiles"] = None
out = []
for name, a in files.items():
    with tifffile.TiffFile(f"{d}/{name}.tif") as tf:
        p = tf.pages[0]
        got = tf.series[0].levels[0].asarray()
        assert a is None or np.array_equal(got, a), name
        arr = got if got.ndim == 3 else got[None]
        if name == "zlib_pred_u8_rgb":
            arr = np.moveaxis(got, -1, 0)
        np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tofile(f"{d}/{name}.raw")
        out.append(dict(name=name, dtype=str(arr.dtype.newbyteorder("=").name), channels=arr.shape[0], height=arr.shape[1], width=arr.shape[2],
                        compression=p.compression.name, predictor=int(p.predictor), tiled=p.is_tiled, byteorder=tf.byteorder, bigtiff=tf.is_bigtiff))
print(json.dumps(out))
`;

let dir: string;
let made: Made[];

beforeAll(() => {
  if (skipPeer("latest")) return;
  dir = tempDir("tiff-reader");
  made = pyPeer("latest", MAKE, dir);
}, 120_000);

function expected(m: Made): PixelArray[] {
  const b = readFileSync(path.join(dir, `${m.name}.raw`));
  const T = PIXEL_ARRAYS[m.dtype];
  const all = new (T as unknown as new (b: ArrayBufferLike, o: number, n: number) => PixelArray)(b.buffer, b.byteOffset, b.byteLength / T.BYTES_PER_ELEMENT);
  const n = m.height * m.width;
  return Array.from({ length: m.channels }, (_, c) => all.subarray(c * n, (c + 1) * n));
}

function windowOf(plane: PixelArray, width: number, y0: number, x0: number, h: number, w: number): number[] {
  const out: number[] = [];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push(plane[y * width + x]);
  return out;
}

describe.skipIf(skipPeer("latest"))("our TIFF reader reads what tifffile reads", () => {
  it("covers the files the test meant to write (compression, predictor, layout, byte order, BigTIFF)", () => {
    const by = Object.fromEntries(made.map((m) => [m.name, m]));
    expect(by.zlib_tiled_ome).toMatchObject({ compression: "ADOBE_DEFLATE", tiled: true, channels: 3, dtype: "uint16" });
    expect(by.lzw_strips).toMatchObject({ compression: "LZW", tiled: false, predictor: 1 });
    expect(by.lzw_tiled_pred).toMatchObject({ compression: "LZW", tiled: true, predictor: 2 });
    expect(by.zlib_pred_u8_rgb).toMatchObject({ predictor: 2, dtype: "uint8", channels: 3 });
    expect(by.f32_lzw_floatpred).toMatchObject({ predictor: 3, dtype: "float32" });
    expect(by.big_endian_zlib_pred).toMatchObject({ byteorder: ">", predictor: 2 });
    expect(by.bigtiff_zlib).toMatchObject({ bigtiff: true });
    expect(by.j2k_tiled_ome).toMatchObject({ compression: "JPEG2000", tiled: true, channels: 3, dtype: "uint16" });
    expect(by.j2k_33003_strips_u8).toMatchObject({ tiled: false, channels: 1, dtype: "uint8" });
    expect(by.j2k_i16).toMatchObject({ compression: "JPEG2000", dtype: "int16" });
    expect(made.length).toBe(18);
  });

  it("every file, whole and by windows crossing tiles and strips, equals tifffile's array; our reader, not geotiff, reads them", async () => {
    for (const m of made) {
      const src = await openImageSource(path.join(dir, `${m.name}.tif`));
      try {
        expect(src, m.name).toBeInstanceOf(TiffSource);
        expect([src.channels, src.height, src.width, src.dtype], m.name).toEqual([m.channels, m.height, m.width, m.dtype]);
        const want = expected(m);
        const whole = await src.readWindow(0, 0, m.height, m.width);
        for (let c = 0; c < m.channels; c++) expect(Array.from(whole[c]), `${m.name} channel ${c}`).toEqual(Array.from(want[c]));
        // Windows going down the slide, as the pipeline's bands do (the decoded-chunk cache at work), then one above them again.
        for (const [y0, x0, h, w] of [
          [3, 5, 20, 41],
          [17, 30, 33, 79],
          [40, 0, 35, 109],
          [1, 90, 9, 19],
        ]) {
          const got = await src.readWindow(y0, x0, h, w);
          for (let c = 0; c < m.channels; c++) {
            expect(Array.from(got[c]), `${m.name} channel ${c} window ${[y0, x0, h, w]}`).toEqual(windowOf(want[c], m.width, y0, x0, h, w));
          }
        }
      } finally {
        await src.close();
      }
    }
  });

  it("tiles never written read as zeros, also into planes that held other values", async () => {
    const m = made.find((f) => f.name === "sparse_tiles") as Made;
    const want = expected(m)[0];
    expect(windowOf(want, m.width, 0, 16, 16, 16).every((v) => v === 0)).toBe(true); // tile 1 is zeros for tifffile too
    const src = await openImageSource(path.join(dir, "sparse_tiles.tif"));
    const into = [new Uint16Array(40 * 60).fill(7)];
    const got = await src.readWindow(0, 0, 40, 60, into);
    expect(Array.from(got[0])).toEqual(windowOf(want, m.width, 0, 0, 40, 60));
    await src.close();
  });

  it("LZW and JPEG 2000 files: chunks decode on the reader's threads once they are up, to the same values", async () => {
    const lzw = made.filter((m) => m.compression === "LZW" || m.name.startsWith("j2k"));
    expect(lzw.length).toBeGreaterThanOrEqual(6);
    const first = await openImageSource(path.join(dir, `${lzw[0].name}.tif`)); // starts the threads
    for (let k = 0; k < 500 && tilePoolState().ready === 0; k++) await new Promise((r) => setTimeout(r, 10));
    await first.close();
    expect(tilePoolState().ready).toBeGreaterThan(0);
    const decoded = () => tilePoolState().decoded.reduce((a, b) => a + b, 0);
    for (const m of lzw) {
      const before = decoded();
      const src = await openImageSource(path.join(dir, `${m.name}.tif`));
      const whole = await src.readWindow(0, 0, m.height, m.width);
      expected(m).forEach((plane, c) => {
        expect(Array.from(whole[c]), `${m.name} channel ${c}`).toEqual(Array.from(plane));
      });
      await src.close();
      expect(decoded() - before, `${m.name}: chunks decoded on the reader's threads`).toBeGreaterThan(0);
    }
  });

  it("names the channels of the OME-TIFF from its OME-XML", async () => {
    const src = await openImageSource(path.join(dir, "zlib_tiled_ome.tif"));
    expect(src.channelNames).toEqual(["DNA", "Marker", "Body"]);
    await src.close();
  });

  it("pages geotiff reads (PackBits beside uncompressed strips): windows read at once equal the pages, and close leaves no file open", async () => {
    const file = path.join(dir, "packbits_and_raw.tif");
    // page 0 PackBits (geotiff decodes it), page 1 uncompressed strips (read row by row from the file)
    pyPeer(
      "latest",
      `import numpy as np, tifffile
a = (np.arange(2 * 75 * 109, dtype=np.uint32) * 7919 % 65521).astype(np.uint16).reshape(2, 75, 109)
with tifffile.TiffWriter(${JSON.stringify(file)}) as tw:
    tw.write(a[0], compression="packbits", photometric="minisblack", rowsperstrip=16)
    tw.write(a[1], photometric="minisblack", rowsperstrip=16)
print("{}")`,
    );
    const value = (c: number, y: number, x: number) => ((c * 75 * 109 + y * 109 + x) * 7919) % 65521;
    const openFds = () => readdirSync("/proc/self/fd").length;
    const before = openFds();
    const src = await openImageSource(file);
    expect(src).toBeInstanceOf(GeotiffSource);
    const windows: [number, number, number, number][] = [
      [0, 0, 75, 109],
      [20, 30, 40, 50],
      [70, 100, 5, 9],
    ];
    const got = await Promise.all(windows.map(([y0, x0, h, w]) => src.readWindow(y0, x0, h, w)));
    await src.close();
    expect(openFds()).toBe(before);
    got.forEach((planes, k) => {
      const [y0, x0, h, w] = windows[k];
      expect(planes).toHaveLength(2);
      planes.forEach((plane, c) => {
        const want = Array.from({ length: h * w }, (_, i) => value(c, y0 + Math.floor(i / w), x0 + (i % w)));
        expect(Array.from(plane), `window ${windows[k]} channel ${c}`).toEqual(want);
      });
    });
  });

  it("a truncated file is refused naming the file and what ends past its end", async () => {
    const { writeFileSync } = await import("node:fs");
    const whole = readFileSync(path.join(dir, "zlib_tiled_ome.tif"));
    const cut = path.join(dir, "cut.tif");
    // Keep the header and the first directory (tifffile writes it first), drop the last tiles.
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.9)));
    const src = await openImageSource(cut).catch((e) => e as Error);
    const err = src instanceof Error ? src : await src.readWindow(0, 0, 75, 109).then(() => null, (e) => e as Error);
    if (!(src instanceof Error)) await src.close();
    expect(err?.message).toMatch(/cut\.tif: .*(truncated file|past its end)/);
  });

  it("a JPEG 2000 tile whose codestream is damaged is refused naming the tile, not read as its neighbour's pixels; the next file reads right", async () => {
    const bad = path.join(dir, "j2k_damaged.tif");
    // the first 12 bytes of tile 5's codestream zeroed (OpenJPEG then decodes nothing)
    pyPeer(
      "latest",
      `import tifffile
src, dst = ${JSON.stringify(path.join(dir, "j2k_tiled_ome.tif"))}, ${JSON.stringify(bad)}
with tifffile.TiffFile(src) as tf:
    at = tf.pages[0].dataoffsets[5]
b = bytearray(open(src, "rb").read())
b[at:at + 12] = bytes(12)
open(dst, "wb").write(b)
print("{}")`,
    );
    for (const [y0, h] of [
      [0, 75],
      [32, 10], // tile 5 is in the second row of tiles: also by a window of its own
    ]) {
      const src = await openImageSource(bad);
      const err = await src.readWindow(y0, 0, h, 109).then(
        () => null,
        (e) => e as Error,
      );
      await src.close();
      expect(err?.message).toMatch(/j2k_damaged\.tif: tile 5 of page 0: JPEG 2000: not a decodable codestream \(.+\)/);
    }
    const m = made.find((f) => f.name === "j2k_tiled_ome") as Made;
    const good = await openImageSource(path.join(dir, "j2k_tiled_ome.tif"));
    const whole = await good.readWindow(0, 0, m.height, m.width);
    await good.close();
    expect(Array.from(whole[0])).toEqual(Array.from(expected(m)[0]));
  });

  it("64-bit integer pages (numpy's default int, so many label masks) read as float64 holding the integers, as a Zarr int64 array reads; geotiff's codecs refuse them with the fix", async () => {
    // values past 2^32 and negative ones; little- and big-endian; tifffile writes no predictor for 64-bit integers
    const files = pyPeer(
      "latest",
      `import json, sys, numpy as np, tifffile
d = json.loads(sys.stdin.read())
y, x = np.mgrid[0:75, 0:109]
i64 = ((y * 109 + x) * 7919 % 100003).astype(np.int64) * (2**32 - 3) - 2**40
i64[::7] = -(x[::7] + 1)
u64 = (2**53 - 1 - (y * 109 + x).astype(np.uint64) * np.uint64(2**31 + 5))
u64[:, ::2] = (x[:, ::2] % 3).astype(np.uint64) * np.uint64(2**32 - 1)
files = {"i64_raw_strips": (i64, {"rowsperstrip": 10}), "i64_zlib_tiled": (i64, {"compression": "zlib", "tile": (16, 32)}),
         "u64_zlib_be": (u64, {"compression": "zlib", "byteorder": ">", "rowsperstrip": 13}), "u64_lzw": (u64, {"compression": "lzw"}),
         "i64_raw_tiled_be": (i64, {"tile": (32, 16), "byteorder": ">"})}
out = {}
for name, (a, kw) in files.items():
    tifffile.imwrite(f"{d}/{name}.tif", a, photometric="minisblack", **kw)
    with tifffile.TiffFile(f"{d}/{name}.tif") as tf:
        assert np.array_equal(tf.asarray(), a), name
    out[name] = a.astype(np.float64).ravel().tolist()  # exact: every value below 2^53
tifffile.imwrite(f"{d}/i64_packbits.tif", i64, photometric="minisblack", compression="packbits")
print(json.dumps(out))`,
      dir,
    ) as Record<string, number[]>;
    for (const [name, want] of Object.entries(files)) {
      const src = await openImageSource(path.join(dir, `${name}.tif`));
      try {
        expect(src, name).toBeInstanceOf(TiffSource);
        expect([src.dtype, src.integer, holdsIntegers(src)], name).toEqual(["float64", true, true]);
        expect(Array.from((await src.readWindow(0, 0, 75, 109))[0]), name).toEqual(want);
        expect(Array.from((await src.readWindow(17, 30, 33, 61))[0]), `${name} window`).toEqual(windowOf(Float64Array.from(want), 109, 17, 30, 33, 61));
      } finally {
        await src.close();
      }
    }
    const err = await openImageSource(path.join(dir, "i64_packbits.tif")).then(
      () => null,
      (e) => e as Error,
    );
    expect(err?.message).toMatch(/i64_packbits\.tif: page 0: 64-bit integer pixels with compression 32773 and predictor 1, .*geotiff reads no 64-bit integers; .*zlib.*mask\.astype\(np\.uint32\)/);
  });

  it("JPEG 2000 tiles of interleaved RGB (which neither reader decodes) are refused at open, naming the compression and the fix", async () => {
    const rgb = path.join(dir, "j2k_rgb.tif");
    pyPeer(
      "latest",
      `import numpy as np, tifffile
tifffile.imwrite(${JSON.stringify(rgb)}, np.zeros((64, 80, 3), np.uint8), compression="jpeg2000", tile=(32, 32), photometric="rgb")
print("{}")`,
    );
    const err = await openImageSource(rgb).then(
      () => null,
      (e) => e as Error,
    );
    expect(err?.message).toMatch(/j2k_rgb\.tif: page 0: JPEG 2000 chunks of 3 interleaved 8-bit sample\(s\).*compression 34712 that neither this reader nor geotiff decodes.*bfconvert -compression LZW/);
  });
});

describe.skipIf(skipPeer("latest"))("lzwDecode", () => {
  it("decodes imagecodecs' TIFF LZW of runs, noise and text-like data (several table clears) to the original bytes, as the WebAssembly decoder does", () => {
    const r = pyPeer(
      "latest",
      `
import json, sys, numpy as np, imagecodecs
rng = np.random.default_rng(3)
cases = [np.zeros(10000, np.uint8), rng.integers(0, 256, 30000).astype(np.uint8),
         np.frombuffer(b"the quick brown fox jumps over the lazy dog " * 900, np.uint8),
         (np.arange(50000) // 7 % 13).astype(np.uint8), np.array([65, 65, 65, 65, 65], np.uint8)]
print(json.dumps([[c.tolist(), list(imagecodecs.lzw_encode(c.tobytes()))] for c in cases]))`,
    ) as [number[], number[]][];
    for (const [plain, encoded] of r) {
      const got = lzwDecode(Uint8Array.from(encoded), plain.length);
      expect(got.length).toBe(plain.length);
      expect(Buffer.from(got).equals(Buffer.from(Uint8Array.from(plain)))).toBe(true);
      // the WebAssembly decoder the reader uses gives the same bytes, a stream cut short too
      const wasm = new Uint8Array(plain.length);
      kernels().lzwDecode(Uint8Array.from(encoded), wasm);
      expect(Buffer.from(wasm).equals(Buffer.from(got))).toBe(true);
      const cut = Uint8Array.from(encoded.slice(0, encoded.length >> 1));
      kernels().lzwDecode(cut, wasm);
      expect(Buffer.from(wasm).equals(Buffer.from(lzwDecode(cut, plain.length)))).toBe(true);
    }
  });
});
