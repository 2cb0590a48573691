// TIFF / OME-TIFF input: every page of the full resolution (multi-page) and
// every sample of a page (chunky or planar) is a channel. Our own reader
// (tiff-format.ts, tiff-decode.ts) decodes what slides hold in practice -
// tiles or strips, none / deflate / LZW, predictors 2 and 3, 8/16/32/64-bit
// integers (64-bit read as float64) and 32/64-bit floats, either byte order,
// classic or BigTIFF, pyramids read at level 0 - and geotiff
// (tiff-geotiff.ts) the rest.
//
// A window reads only the chunks it overlaps, all at once: their deflate runs
// on libuv's threadpool, so a band's tiles inflate in parallel, and each
// decoded chunk is copied straight into the caller's planes (the pipeline's
// shared band buffers). Decoded chunks are kept while a later window may still
// need them - windows go down the slide, so a chunk ending above a window's
// top is dropped - and a tile is decoded once however the bands cut it.
// Uncompressed chunks are read row range by row range from the file, never whole.
import { existsSync } from "node:fs";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ExtractError } from "../errors.js";
import { isOmeXml, omeChannelNames, omeChannelPlanes, omeMetadataFile } from "./ome-xml.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType, StackedSource } from "./source.js";
import {
  chunkGrid,
  chunkRowBytes,
  chunkRows,
  chunkSamples,
  copyChunk,
  decodesOnCallingThread,
  decompress,
  finishChunk,
  isJpeg2000,
  pagePixelType,
  pageStoredType,
} from "./tiff-decode.js";
import { imageJSizes, readTiffPages, type TiffPage, TiffUnsupported } from "./tiff-format.js";
import { GeotiffSource } from "./tiff-geotiff.js";
import { decodeOffThread, startTilePool } from "./tile-pool.js";

/** Compressions geotiff decodes (its codec registry): none, LZW, old and new JPEG, deflate, PackBits, LERC, Zstandard, WebP. */
const GEOTIFF_CODECS = [1, 5, 6, 7, 8, 32773, 32946, 34887, 50000, 50001];

/** A companion .ome file's text. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new ExtractError(path, `cannot read (${(e as Error).message})`, { cause: e });
  }
}

interface Cached {
  data: Promise<Uint8Array>;
  top: number;
  bottom: number;
}

export class TiffSource implements ImageSource {
  private readonly cache = new Map<string, Cached>();

  private constructor(
    readonly name: string,
    private readonly file: FileHandle,
    private readonly pages: TiffPage[],
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    readonly dtype: PixelType,
    /** Whether the samples are integers (a float64 dtype then holds 64-bit integers). */
    readonly integer: boolean,
    readonly channelNames?: string[],
  ) {}

  /**
   * Opens a TIFF with our reader, or with geotiff when it holds what ours does
   * not decode. An OME-TIFF's channels are the planes its OME-XML maps (the
   * first image, at z = t = 0), in files beside it when it is one file of a
   * multi-file set (or a companion .ome file's set); another TIFF's channels
   * are the samples of its full-resolution pages.
   */
  static async open(path: string): Promise<ImageSource> {
    if (!existsSync(path)) throw new ExtractError(path, "no such file");
    // a companion file (set.companion.ome): the OME-XML of a set of TIFFs
    if (/\.ome$/i.test(path)) return TiffSource.openSet(path, await readText(path), null);
    const { file, pages: all } = await TiffSource.read(path);
    try {
      const first = all[0];
      const companion = omeMetadataFile(first.description);
      if (companion !== null) {
        await file.close();
        const xmlPath = resolve(dirname(path), companion);
        if (!existsSync(xmlPath)) throw new ExtractError(path, `its OME-XML is in ${xmlPath} (BinaryOnly), which is missing; expected the set's companion file beside it`);
        return TiffSource.openSet(xmlPath, await readText(xmlPath), null);
      }
      if (isOmeXml(first.description)) return await TiffSource.openSet(path, first.description, { file, pages: all });
      const stack = imageJSizes(first.description);
      if (stack && (stack.slices > 1 || stack.frames > 1)) {
        throw new ExtractError(
          path,
          `an ImageJ stack of ${stack.slices} slice(s) and ${stack.frames} frame(s) (${stack.channels} channel(s)); expected one 2-D plane per channel: save the plane to extract (a single slice, or a maximum projection: Image > Stacks > Z Project) to its own file`,
        );
      }
      const dtype = pageStoredType(first);
      const pages = [first];
      for (const page of all.slice(1)) {
        // Reduced-resolution pages (old-style pyramids, thumbnails) are not channels.
        if (page.width !== first.width || page.height !== first.height) continue;
        const t = pageStoredType(page);
        if (t !== dtype) throw new ExtractError(path, `page ${page.index} is ${t} but page 0 is ${dtype}; expected one pixel type`);
        pages.push(page);
      }
      return TiffSource.of(path, file, pages);
    } catch (e) {
      await file.close().catch(() => {});
      if (e instanceof TiffUnsupported) {
        // geotiff takes the rest, unless it cannot decode them either: said now, not at the first tile
        const bad = all.find((p) => p.width === all[0].width && p.height === all[0].height && !GEOTIFF_CODECS.includes(p.compression));
        if (bad) {
          throw new ExtractError(
            path,
            `${e.message}: compression ${bad.compression} that neither this reader nor geotiff decodes here; write the image with LZW or zlib tiles (bfconvert -compression LZW, or tifffile's compression="zlib")`,
          );
        }
        return GeotiffSource.open(path);
      }
      if (e instanceof ExtractError) throw e;
      throw new ExtractError(path, `not a readable TIFF file (${(e as Error).message})`, { cause: e });
    }
  }

  /** A file's handle and the pages of its main IFD chain. */
  private static async read(path: string): Promise<{ file: FileHandle; pages: TiffPage[] }> {
    let file: FileHandle;
    try {
      file = await open(path, "r");
    } catch (e) {
      throw new ExtractError(path, `cannot open (${(e as Error).message})`, { cause: e });
    }
    try {
      const readAt = async (offset: number, length: number) => {
        const buf = new Uint8Array(length);
        const { bytesRead } = await file.read(buf, 0, length, offset);
        return bytesRead < length ? buf.subarray(0, bytesRead) : buf;
      };
      return { file, pages: await readTiffPages(readAt) };
    } catch (e) {
      await file.close();
      if (e instanceof TiffUnsupported) throw e;
      throw new ExtractError(path, `not a readable TIFF file (${(e as Error).message})`, { cause: e });
    }
  }

  /** `pages` of one file as channels (each page's samples), checked to be one size and one pixel type; names from the first page's OME-XML unless given (null: none). */
  private static of(path: string, file: FileHandle, pages: TiffPage[], channelNames?: string[] | null): TiffSource {
    const first = pages[0];
    const dtype = pageStoredType(first);
    for (const p of pages) {
      const t = pageStoredType(p);
      if (t !== dtype) throw new ExtractError(path, `page ${p.index} is ${t} but page ${first.index} is ${dtype}; expected one pixel type`);
      if (p.width !== first.width || p.height !== first.height) {
        throw new ExtractError(path, `page ${p.index} is ${p.height} x ${p.width} but page ${first.index} is ${first.height} x ${first.width}; expected one size for all channels`);
      }
      const { across, down } = chunkGrid(p);
      const chunks = across * down * (p.planar === 2 ? p.samples : 1);
      if (p.offsets.length < chunks || p.byteCounts.length < chunks) {
        throw new ExtractError(path, `page ${p.index}: ${p.offsets.length} chunk offsets for ${chunks} ${p.tiled ? "tiles" : "strips"}; expected one per chunk`);
      }
    }
    if (pages.some(decodesOnCallingThread)) startTilePool(pages.some(isJpeg2000)); // its threads load while the plan is made
    const channels = pages.reduce((n, p) => n + p.samples, 0);
    const names = channelNames === undefined ? omeChannelNames(first.description, channels) : (channelNames ?? undefined);
    return new TiffSource(path, file, pages, first.height, first.width, channels, pagePixelType(first), first.format !== 3, names);
  }

  /**
   * The channels an OME-XML (read from `xmlPath`: the TIFF itself, or a
   * companion file) maps, each file of the set opened once; `own`: the
   * TIFF the XML came from, already open.
   */
  private static async openSet(xmlPath: string, xml: string, own: { file: FileHandle; pages: TiffPage[] } | null): Promise<ImageSource> {
    const planes = omeChannelPlanes(xml, xmlPath);
    const dir = dirname(xmlPath);
    // Consecutive channels in one file make one source.
    const runs: { path: string; ifds: number[] }[] = [];
    for (const { file, ifd } of planes) {
      const path = file === null ? xmlPath : resolve(dir, file);
      const last = runs.at(-1);
      if (last && last.path === path) last.ifds.push(ifd);
      else runs.push({ path, ifds: [ifd] });
    }
    // Each run reads its own handle (one file's runs apart would otherwise share one); the XML's TIFF is read already.
    const files: { file: FileHandle; pages: TiffPage[] }[] = [];
    let ownFree = own;
    try {
      const picked: { path: string; file: FileHandle; pages: TiffPage[] }[] = [];
      for (const run of runs) {
        let f: { file: FileHandle; pages: TiffPage[] };
        if (ownFree && resolve(run.path) === resolve(xmlPath)) {
          f = ownFree;
          ownFree = null;
        } else {
          if (!existsSync(run.path)) {
            throw new ExtractError(xmlPath, `its OME-XML puts channel planes in ${run.path}, which is missing; expected every file of the OME-TIFF set beside it`);
          }
          f = await TiffSource.read(run.path).catch((e) => {
            throw e instanceof TiffUnsupported ? new ExtractError(run.path, `a file of the OME-TIFF set ${xmlPath} holds what this reader does not decode (${e.message})`) : e;
          });
          files.push(f);
        }
        const pages = run.ifds.map((ifd) => {
          const page = f.pages[ifd];
          if (!page) throw new ExtractError(run.path, `its OME-XML (${xmlPath}) maps a channel to directory ${ifd}, but the file has ${f.pages.length}; expected the set's files as written`);
          return page;
        });
        picked.push({ path: run.path, file: f.file, pages });
      }
      const channels = picked.reduce((n, r) => n + r.pages.reduce((m, p) => m + p.samples, 0), 0);
      const names = omeChannelNames(xml, channels);
      let c = 0;
      const parts = picked.map((r) => {
        const n = r.pages.reduce((m, p) => m + p.samples, 0);
        const part = TiffSource.of(r.path, r.file, r.pages, names ? names.slice(c, c + n) : null);
        c += n;
        return part;
      });
      for (const p of parts.slice(1)) {
        if (p.height !== parts[0].height || p.width !== parts[0].width || p.dtype !== parts[0].dtype) {
          throw new ExtractError(p.name, `${p.height} x ${p.width} ${p.dtype} in the OME-TIFF set of ${xmlPath}, whose first plane is ${parts[0].height} x ${parts[0].width} ${parts[0].dtype}; expected one size and type`);
        }
      }
      if (ownFree) await ownFree.file.close(); // the XML's own TIFF holds none of the planes
      return parts.length === 1 ? parts[0] : new StackedSource(parts);
    } catch (e) {
      await Promise.all(files.map((f) => f.file.close().catch(() => {})));
      throw e;
    }
  }

  private async readAt(offset: number, length: number, what: string): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    const { bytesRead } = await this.file.read(buf, 0, length, offset);
    if (bytesRead < length) throw new ExtractError(this.name, `truncated file: ${what} ends past its end`);
    return buf;
  }

  /** A compressed chunk, decoded once and kept while windows may need it. */
  private chunk(p: TiffPage, index: number, cy: number): Promise<Uint8Array> {
    const key = `${p.index}:${index}`;
    const hit = this.cache.get(key);
    if (hit) return hit.data;
    const rows = chunkRows(p, cy);
    const what = `${p.tiled ? "tile" : "strip"} ${index} of page ${p.index}`;
    const data = (async () => {
      // A chunk never written (byte count 0: sparse files) reads as zeros.
      if (p.byteCounts[index] === 0) return new Uint8Array(rows * chunkRowBytes(p));
      const stored = await this.readAt(p.offsets[index], p.byteCounts[index], what);
      const size = rows * chunkRowBytes(p);
      try {
        // LZW and JPEG 2000 on a decoding thread when one is ready; deflate on libuv's threadpool (decompress)
        const off = decodesOnCallingThread(p) ? decodeOffThread(p, stored, size, rows) : null;
        if (off) return await off;
        return finishChunk(p, await decompress(p, stored, size), rows);
      } catch (e) {
        throw new ExtractError(this.name, `${what}: ${(e as Error).message}`, { cause: e });
      }
    })();
    this.cache.set(key, { data, top: cy * p.chunkHeight, bottom: cy * p.chunkHeight + rows });
    return data;
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    const T = PIXEL_ARRAYS[this.dtype];
    const planes = Array.from({ length: this.channels }, (_, c) => {
      const t = into?.[c];
      return t instanceof T && t.length === h * w ? t : new T(h * w);
    });
    // Windows go down the slide: what ends above this one, or lies below it (a
    // pass that restarted above), is not needed again; dropped before decoding more.
    for (const [key, c] of this.cache) if (c.bottom <= y0 || c.top >= y0 + h) this.cache.delete(key);
    const work: Promise<void>[] = [];
    let channel = 0;
    for (const p of this.pages) {
      const { across, down } = chunkGrid(p);
      const spp = chunkSamples(p);
      const cyA = Math.floor(y0 / p.chunkHeight);
      const cyB = Math.min(down - 1, Math.floor((y0 + h - 1) / p.chunkHeight));
      const cxA = Math.floor(x0 / p.chunkWidth);
      const cxB = Math.min(across - 1, Math.floor((x0 + w - 1) / p.chunkWidth));
      for (let set = 0; set < p.samples / spp; set++) {
        const targets = planes.slice(channel + set, channel + set + spp);
        for (let cy = cyA; cy <= cyB; cy++) {
          for (let cx = cxA; cx <= cxB; cx++) {
            const index = set * across * down + cy * across + cx;
            work.push(this.fill(p, index, cy, cx, y0, x0, h, w, targets));
          }
        }
      }
      channel += p.samples;
    }
    await Promise.all(work);
    return planes;
  }

  private async fill(p: TiffPage, index: number, cy: number, cx: number, y0: number, x0: number, h: number, w: number, targets: PixelArray[]): Promise<void> {
    if (p.compression !== 1) {
      copyChunk(p, await this.chunk(p, index, cy), cy, cx, 0, y0, x0, h, w, targets);
      return;
    }
    // Uncompressed: only the rows of the chunk the window needs.
    const top = cy * p.chunkHeight;
    const r0 = Math.max(0, y0 - top);
    const r1 = Math.min(chunkRows(p, cy), y0 + h - top);
    const rowBytes = chunkRowBytes(p);
    const raw =
      p.byteCounts[index] === 0
        ? new Uint8Array((r1 - r0) * rowBytes) // never written: zeros
        : await this.readAt(p.offsets[index] + r0 * rowBytes, (r1 - r0) * rowBytes, `rows ${top + r0}..${top + r1} of page ${p.index}`);
    copyChunk(p, finishChunk(p, raw, r1 - r0), cy, cx, r0, y0, x0, h, w, targets);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.file.close();
  }
}
