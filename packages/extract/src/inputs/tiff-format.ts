// The structure of a TIFF file (classic or BigTIFF, either byte order): its
// chain of image file directories (IFDs) and, for each page, where its tiles or
// strips lie and how they are encoded. Platform-neutral: it reads through a
// `readAt(offset, length)` the caller provides (a file handle, a Blob, HTTP
// ranges). Pixel decoding is tiff-decode.ts.

import { CellfolioError } from "@cellfolio/format";

/** Reads `length` bytes at `offset` (fewer only at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** A TIFF feature this reader does not decode (the caller may fall back to another reader). */
export class TiffUnsupported extends CellfolioError {
  constructor(problem: string) {
    super("tiff-unsupported", "", undefined, problem);
    this.name = "TiffUnsupported";
  }
}

/** A page (IFD) of the main chain, with what decoding its chunks needs. */
export interface TiffPage {
  /** Position in the main IFD chain. */
  index: number;
  width: number;
  height: number;
  samples: number;
  /** Bits per sample (the same for every sample). */
  bits: number;
  /** 1 unsigned integer, 2 signed integer, 3 IEEE float. */
  format: number;
  /** 1 none, 5 LZW, 8 / 32946 deflate (zlib); others are listed but not decoded here. */
  compression: number;
  /** 1 none, 2 horizontal differencing, 3 floating-point. */
  predictor: number;
  /** 1 chunky (samples interleaved), 2 planar (one set of chunks per sample). */
  planar: number;
  /** Chunk size: tiles, or strips (width x rows per strip). */
  tiled: boolean;
  chunkWidth: number;
  chunkHeight: number;
  /** Chunk offsets and byte counts in file order (planar: sample by sample). */
  offsets: Float64Array;
  byteCounts: Float64Array;
  littleEndian: boolean;
  /** NewSubfileType bit 0: a reduced-resolution copy of another page. */
  reduced: boolean;
  /** ImageDescription (OME-XML in an OME-TIFF), or "". */
  description: string;
}

const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
  ImageDepth: 32997,
} as const;

/** Bytes per value of each TIFF field type (0: unknown type). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8];

interface Entry {
  type: number;
  count: number;
  /** Where the values are: inline bytes (copied) or a file offset. */
  inline: Uint8Array | null;
  offset: number;
}

class Reader {
  constructor(
    readonly readAt: ReadAt,
    readonly little: boolean,
    readonly big: boolean,
  ) {}

  view(b: Uint8Array): DataView {
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  offsetAt(v: DataView, at: number): number {
    return this.big ? Number(v.getBigUint64(at, this.little)) : v.getUint32(at, this.little);
  }

  /** The values of an entry as numbers (integers, floats, rationals as quotients). */
  async numbers(e: Entry): Promise<Float64Array> {
    const size = TYPE_SIZE[e.type] ?? 0;
    if (size === 0) throw new TiffUnsupported(`field type ${e.type}`);
    const bytes = e.inline ?? (await this.readAt(e.offset, e.count * size));
    if (bytes.length < e.count * size) throw new Error(`truncated file: a field of ${e.count} values at byte ${e.offset} ends past its end`);
    const v = this.view(bytes);
    const out = new Float64Array(e.count);
    const le = this.little;
    for (let i = 0; i < e.count; i++) {
      const at = i * size;
      switch (e.type) {
        case 1:
        case 7:
          out[i] = v.getUint8(at);
          break;
        case 6:
          out[i] = v.getInt8(at);
          break;
        case 3:
          out[i] = v.getUint16(at, le);
          break;
        case 8:
          out[i] = v.getInt16(at, le);
          break;
        case 4:
        case 13:
          out[i] = v.getUint32(at, le);
          break;
        case 9:
          out[i] = v.getInt32(at, le);
          break;
        case 5:
          out[i] = v.getUint32(at, le) / v.getUint32(at + 4, le);
          break;
        case 10:
          out[i] = v.getInt32(at, le) / v.getInt32(at + 4, le);
          break;
        case 11:
          out[i] = v.getFloat32(at, le);
          break;
        case 12:
          out[i] = v.getFloat64(at, le);
          break;
        case 16:
        case 18:
          out[i] = Number(v.getBigUint64(at, le));
          break;
        case 17:
          out[i] = Number(v.getBigInt64(at, le));
          break;
        default:
          throw new TiffUnsupported(`field type ${e.type}`);
      }
    }
    return out;
  }

  async text(e: Entry): Promise<string> {
    const bytes = e.inline ?? (await this.readAt(e.offset, e.count));
    let end = bytes.indexOf(0);
    if (end < 0) end = bytes.length;
    return new TextDecoder().decode(bytes.subarray(0, end));
  }

  /** The entries of the IFD at `at`, and the offset of the next one (0: the last). */
  async ifd(at: number): Promise<{ entries: Map<number, Entry>; next: number }> {
    const countBytes = this.big ? 8 : 2;
    const entrySize = this.big ? 20 : 12;
    const head = await this.readAt(at, countBytes);
    if (head.length < countBytes) throw new Error(`truncated file: the directory at byte ${at} lies past its end`);
    const hv = this.view(head);
    const n = this.big ? Number(hv.getBigUint64(0, this.little)) : hv.getUint16(0, this.little);
    const body = await this.readAt(at + countBytes, n * entrySize + (this.big ? 8 : 4));
    if (body.length < n * entrySize + (this.big ? 8 : 4)) throw new Error(`truncated file: the directory at byte ${at} ends past its end`);
    const v = this.view(body);
    const entries = new Map<number, Entry>();
    const inlineSize = this.big ? 8 : 4;
    for (let i = 0; i < n; i++) {
      const p = i * entrySize;
      const tag = v.getUint16(p, this.little);
      const type = v.getUint16(p + 2, this.little);
      const count = this.big ? Number(v.getBigUint64(p + 4, this.little)) : v.getUint32(p + 4, this.little);
      const valueAt = p + (this.big ? 12 : 8);
      const bytes = count * (TYPE_SIZE[type] ?? 0);
      entries.set(tag, {
        type,
        count,
        inline: bytes <= inlineSize ? body.slice(valueAt, valueAt + bytes) : null,
        offset: bytes <= inlineSize ? 0 : this.offsetAt(v, valueAt),
      });
    }
    return { entries, next: this.offsetAt(v, n * entrySize) };
  }
}

/** The pages of the main IFD chain (SubIFDs, where OME-TIFF keeps its pyramid levels, are not followed: level 0 is the main chain). */
export async function readTiffPages(readAt: ReadAt): Promise<TiffPage[]> {
  const head = await readAt(0, 16);
  if (head.length < 8) throw new Error("not a TIFF file: shorter than its 8-byte header");
  const order = String.fromCharCode(head[0], head[1]);
  if (order !== "II" && order !== "MM") throw new Error(`not a TIFF file: starts with "${order}", expected "II" or "MM"`);
  const little = order === "II";
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = hv.getUint16(2, little);
  if (magic !== 42 && magic !== 43) throw new Error(`not a TIFF file: version ${magic}, expected 42 (TIFF) or 43 (BigTIFF)`);
  const big = magic === 43;
  const r = new Reader(readAt, little, big);
  let at = big ? Number(hv.getBigUint64(8, little)) : hv.getUint32(4, little);
  const pages: TiffPage[] = [];
  const seen = new Set<number>();
  while (at !== 0) {
    if (seen.has(at)) throw new Error(`malformed TIFF: its directories loop back to byte ${at}`);
    seen.add(at);
    const { entries, next } = await r.ifd(at);
    pages.push(await page(r, entries, pages.length));
    at = next;
  }
  if (pages.length === 0) throw new Error("not a TIFF file: no image directory");
  return pages;
}

async function page(r: Reader, e: Map<number, Entry>, index: number): Promise<TiffPage> {
  const one = async (tag: number, fallback?: number): Promise<number> => {
    const entry = e.get(tag);
    if (!entry) {
      if (fallback === undefined) throw new Error(`page ${index}: tag ${tag} missing`);
      return fallback;
    }
    return (await r.numbers(entry))[0];
  };
  const width = await one(TAG.ImageWidth);
  const height = await one(TAG.ImageLength);
  const samples = await one(TAG.SamplesPerPixel, 1);
  const bitsEntry = e.get(TAG.BitsPerSample);
  const bitsAll = bitsEntry ? await r.numbers(bitsEntry) : Float64Array.of(1);
  const formatEntry = e.get(TAG.SampleFormat);
  const formatAll = formatEntry ? await r.numbers(formatEntry) : Float64Array.of(1);
  if (bitsAll.some((b) => b !== bitsAll[0]) || formatAll.some((f) => f !== formatAll[0])) throw new TiffUnsupported(`page ${index}: samples of different types`);
  if ((await one(TAG.ImageDepth, 1)) !== 1) throw new TiffUnsupported(`page ${index}: a volume (ImageDepth > 1)`);
  const tiled = e.has(TAG.TileOffsets);
  const offsetsEntry = e.get(tiled ? TAG.TileOffsets : TAG.StripOffsets);
  const countsEntry = e.get(tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
  if (!offsetsEntry || !countsEntry) throw new TiffUnsupported(`page ${index}: no strip or tile offsets`);
  let description = "";
  const desc = e.get(TAG.ImageDescription);
  if (desc && desc.type === 2) description = await r.text(desc);
  return {
    index,
    width,
    height,
    samples,
    bits: bitsAll[0],
    format: formatAll[0],
    compression: await one(TAG.Compression, 1),
    predictor: await one(TAG.Predictor, 1),
    planar: await one(TAG.PlanarConfiguration, 1),
    tiled,
    chunkWidth: tiled ? await one(TAG.TileWidth) : width,
    chunkHeight: tiled ? await one(TAG.TileLength) : Math.min(height, await one(TAG.RowsPerStrip, height)),
    offsets: await r.numbers(offsetsEntry),
    byteCounts: await r.numbers(countsEntry),
    littleEndian: r.little,
    reduced: ((await one(TAG.NewSubfileType, 0)) & 1) === 1,
    description,
  };
}

/**
 * The stack sizes ImageJ / Fiji writes in a TIFF's first ImageDescription
 * ("ImageJ=1.54f\nimages=6\nchannels=2\nslices=3\n..."), or null for another
 * TIFF. Its pages are the planes, channel fastest, then slice, then frame.
 */
export function imageJSizes(description: string): { channels: number; slices: number; frames: number } | null {
  if (!description.startsWith("ImageJ=")) return null;
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)\\s*$`, "m").exec(description);
    return m ? Number(m[1]) : 1;
  };
  return { channels: value("channels"), slices: value("slices"), frames: value("frames") };
}
