// TIFF input through geotiff, for what tiff.ts's own reader leaves out (JPEG
// and other codecs, float16, other bit depths): every page of the full resolution
// (multi-page) and every sample of a page (multi-sample, chunky or planar) is
// a channel; windows are decoded tile by tile / strip by strip, so only the
// strips of a window are read. Uncompressed strips (what tifffile writes by
// default: one strip per page) are read row by row straight from the file,
// since geotiff would decode a whole strip (a whole page) for every window.
import { existsSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import workerThreads from "node:worker_threads";
import type { GeoTIFF, GeoTIFFImage } from "geotiff";
import { ExtractError } from "../errors.js";
import { omeChannelNames } from "./ome-xml.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType } from "./source.js";

/**
 * geotiff, loaded at the first TIFF that needs it, not with this package: it
 * imports web-worker (1.5.0), whose Node build, evaluated in a worker thread,
 * takes the thread for one of its own workers. It throws on a thread without
 * workerData ("Cannot destructure property 'mod'"), so this package could not
 * be imported in a user's `new Worker(file)`, and it runs `workerData.mod` when
 * that exists. Its evaluation sees empty workerData (web-worker then acts as on
 * the main thread); the thread's own is put back after.
 */
let geotiff: Promise<typeof import("geotiff")> | null = null;
function loadGeotiff(): Promise<typeof import("geotiff")> {
  geotiff ??= (async () => {
    const threads = workerThreads as { isMainThread: boolean; workerData: unknown }; // typed read-only; a plain property
    if (threads.isMainThread) return import("geotiff");
    const own = threads.workerData;
    threads.workerData = {};
    try {
      return await import("geotiff");
    } finally {
      threads.workerData = own;
    }
  })();
  return geotiff;
}

function pixelType(path: string, image: GeoTIFFImage, page: number): PixelType {
  const bits = image.getBitsPerSample();
  const format = image.getSampleFormat(); // 1 unsigned, 2 signed, 3 float
  for (let s = 1; s < image.getSamplesPerPixel(); s++) {
    if (image.getBitsPerSample(s) !== bits || image.getSampleFormat(s) !== format) {
      throw new ExtractError(path, `page ${page}: samples of different types; expected one pixel type per file`);
    }
  }
  if (format === 3 && (bits === 16 || bits === 32)) return "float32";
  if (format === 3 && bits === 64) return "float64";
  const signed = format === 2;
  if (bits === 8) return signed ? "int8" : "uint8";
  if (bits === 16) return signed ? "int16" : "uint16";
  if (bits === 32) return signed ? "int32" : "uint32";
  if (format !== 3 && bits === 64) {
    // our reader reads them (as float64) from what it decodes; geotiff reads no 64-bit integers
    const fd = image.fileDirectory;
    const predictor = fd.hasTag("Predictor") ? Number((fd.getValue as (t: string) => unknown)("Predictor")) : 1;
    throw new ExtractError(
      path,
      `page ${page}: 64-bit integer pixels with compression ${fd.getValue("Compression") ?? 1} and predictor ${predictor}, which only geotiff decodes here, and geotiff reads no 64-bit integers; expected 64-bit integers uncompressed, deflate or LZW without a predictor (tifffile's default, or compression="zlib"), or, for a label mask, 32-bit labels: write mask.astype(np.uint32)`,
    );
  }
  throw new ExtractError(
    path,
    `page ${page}: ${bits}-bit ${format === 3 ? "float" : "integer"} pixels; expected 8, 16, 32 or 64-bit integers, or 16/32/64-bit floats for an image (a label mask must hold integers): write it as uint16 / uint32 (for a mask, mask.astype(np.uint32))`,
  );
}

/** Where the rows of an uncompressed, stripped, little-endian page lie in the file. */
interface RawStrips {
  offsets: number[];
  rowsPerStrip: number;
  samples: number;
  /** 1 chunky (samples interleaved), 2 planar (one set of strips per sample). */
  planar: number;
  bytes: number;
}

async function rawStrips(tiff: GeoTIFF, page: GeoTIFFImage): Promise<RawStrips | null> {
  const fd = page.fileDirectory;
  const compression = fd.getValue("Compression") ?? 1;
  const predictor = fd.hasTag("Predictor") ? Number((fd.getValue as (t: string) => unknown)("Predictor")) : 1;
  if (compression !== 1 || predictor !== 1 || !fd.hasTag("StripOffsets") || !(tiff as unknown as { littleEndian: boolean }).littleEndian) return null;
  const offsets = Array.from((await fd.loadValue("StripOffsets")) as ArrayLike<number | bigint>, Number);
  const rowsPerStrip = Math.min(Number(fd.getValue("RowsPerStrip") ?? page.getHeight()), page.getHeight());
  return { offsets, rowsPerStrip, samples: page.getSamplesPerPixel(), planar: Number(fd.getValue("PlanarConfiguration") ?? 1), bytes: page.getBitsPerSample() / 8 };
}

export class GeotiffSource implements ImageSource {
  /** Opened at the first raw read; the promise is kept so reads under way together share one handle. */
  private file: Promise<FileHandle> | null = null;
  /** The read buffer, kept between windows (fresh buffers per window are garbage the GC is slow to see). */
  private buf: Uint8Array | null = null;

  private constructor(
    readonly name: string,
    private readonly tiff: GeoTIFF,
    private readonly pages: GeoTIFFImage[],
    private readonly raw: (RawStrips | null)[],
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    readonly dtype: PixelType,
    readonly channelNames?: string[],
  ) {}

  static async open(path: string): Promise<GeotiffSource> {
    if (!existsSync(path)) throw new ExtractError(path, "no such file");
    const { fromFile } = await loadGeotiff();
    let tiff: GeoTIFF;
    try {
      tiff = await fromFile(path);
    } catch (e) {
      throw new ExtractError(path, `not a readable TIFF file (${(e as Error).message})`, { cause: e });
    }
    const count = await tiff.getImageCount();
    const first = await tiff.getImage(0);
    const width = first.getWidth();
    const height = first.getHeight();
    const dtype = pixelType(path, first, 0);
    const pages: GeoTIFFImage[] = [first];
    let channels = first.getSamplesPerPixel();
    for (let i = 1; i < count; i++) {
      const page = await tiff.getImage(i);
      // Reduced-resolution pages (old-style pyramids, thumbnails) are not channels.
      if (page.getWidth() !== width || page.getHeight() !== height) continue;
      const t = pixelType(path, page, i);
      if (t !== dtype) throw new ExtractError(path, `page ${i} is ${t} but page 0 is ${dtype}; expected one pixel type`);
      pages.push(page);
      channels += page.getSamplesPerPixel();
    }
    // A float16 page is decoded by geotiff (to float32); raw rows only for types stored as read.
    const raw = await Promise.all(pages.map((p) => (p.getBitsPerSample() === 16 && p.getSampleFormat() === 3 ? null : rawStrips(tiff, p))));
    let description = "";
    try {
      if (first.fileDirectory.hasTag("ImageDescription")) description = String(await first.fileDirectory.loadValue("ImageDescription"));
    } catch {
      // An unreadable description names no channels; the pixels may still be fine.
    }
    return new GeotiffSource(path, tiff, pages, raw, height, width, channels, dtype, omeChannelNames(description, channels));
  }

  /** Rows [y0, y0 + h), columns [x0, x0 + w) of an uncompressed stripped page, straight from the file. */
  private async readRaw(r: RawStrips, y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    this.file ??= open(this.name, "r");
    const file = await this.file;
    const T = PIXEL_ARRAYS[this.dtype];
    const perPlane = r.planar === 2 ? r.samples : 1;
    const spp = r.planar === 2 ? 1 : r.samples;
    const rowBytes = this.width * spp * r.bytes;
    const stripsPerPlane = Math.ceil(this.height / r.rowsPerStrip);
    const planes = Array.from({ length: r.samples }, (_, k) => {
      const t = into?.[k];
      return t instanceof T && t.length === h * w ? t : new T(h * w);
    });
    const need = Math.min(h, r.rowsPerStrip) * rowBytes;
    // Windows of one source are read one at a time; a concurrent read gets its own buffer.
    const buf = this.buf && this.buf.byteLength >= need ? this.buf : new Uint8Array(need);
    this.buf = null;
    for (let p = 0; p < perPlane; p++) {
      for (let y = y0; y < y0 + h; ) {
        const strip = Math.floor(y / r.rowsPerStrip);
        const rows = Math.min(y0 + h, (strip + 1) * r.rowsPerStrip) - y;
        const pos = r.offsets[p * stripsPerPlane + strip] + (y - strip * r.rowsPerStrip) * rowBytes;
        const { bytesRead } = await file.read(buf, 0, rows * rowBytes, pos);
        if (bytesRead < rows * rowBytes) throw new ExtractError(this.name, `truncated file: rows ${y}..${y + rows} end past its end`);
        const view = new (T as unknown as new (b: ArrayBufferLike, o: number, n: number) => PixelArray)(buf.buffer, 0, (rows * rowBytes) / r.bytes);
        for (let s = 0; s < spp; s++) {
          const plane = planes[p + s];
          for (let k = 0; k < rows; k++) {
            const src = k * this.width * spp + x0 * spp + s;
            const dst = (y - y0 + k) * w;
            if (spp === 1) plane.set(view.subarray(src, src + w), dst);
            else for (let x = 0; x < w; x++) plane[dst + x] = view[src + x * spp];
          }
        }
        y += rows;
      }
    }
    this.buf = buf;
    return planes;
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    const planes: PixelArray[] = [];
    const want = PIXEL_ARRAYS[this.dtype];
    for (const [k, page] of this.pages.entries()) {
      const raw = this.raw[k];
      if (raw) {
        planes.push(...(await this.readRaw(raw, y0, x0, h, w, into?.slice(planes.length, planes.length + raw.samples))));
        continue;
      }
      let rasters: ArrayLike<number>[];
      try {
        rasters = (await page.readRasters({ window: [x0, y0, x0 + w, y0 + h], interleave: false })) as unknown as ArrayLike<number>[];
      } catch (e) {
        throw new ExtractError(this.name, `cannot read rows ${y0}..${y0 + h}: ${(e as Error).message}`, { cause: e });
      }
      for (const r of rasters) planes.push(r instanceof want ? (r as PixelArray) : (want as any).from(r));
    }
    return planes;
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = null;
    await (await file?.catch(() => null))?.close();
    await (this.tiff as unknown as { close?: () => Promise<void> }).close?.();
  }
}
