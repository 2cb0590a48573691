// TIFF / OME-TIFF input through geotiff: every page of the full resolution
// (multi-page) and every sample of a page (multi-sample, chunky or planar) is
// a channel; windows are decoded tile by tile / strip by strip, so only the
// strips of a window are read.
import { existsSync } from "node:fs";
import { fromFile, type GeoTIFF, type GeoTIFFImage } from "geotiff";
import { ExtractError } from "../errors.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType } from "./source.js";

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
  throw new ExtractError(
    path,
    `page ${page}: ${bits}-bit ${format === 3 ? "float" : "integer"} pixels; expected 8, 16 or 32-bit integers or 32/64-bit floats`,
  );
}

export class TiffSource implements ImageSource {
  private constructor(
    readonly name: string,
    private readonly tiff: GeoTIFF,
    private readonly pages: GeoTIFFImage[],
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    readonly dtype: PixelType,
  ) {}

  static async open(path: string): Promise<TiffSource> {
    if (!existsSync(path)) throw new ExtractError(path, "no such file");
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
    return new TiffSource(path, tiff, pages, height, width, channels, dtype);
  }

  async readWindow(y0: number, x0: number, h: number, w: number): Promise<PixelArray[]> {
    const planes: PixelArray[] = [];
    const want = PIXEL_ARRAYS[this.dtype];
    for (const page of this.pages) {
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
    await (this.tiff as unknown as { close?: () => Promise<void> }).close?.();
  }
}
