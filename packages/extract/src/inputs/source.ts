// What the pipeline reads images and masks through: windows of a C x H x W
// raster, whatever the file format, so a slide is never held whole.

/** Pixel dtypes an input may hold, named as numpy names them. */
export type PixelType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";

export type PixelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface ImageSource {
  /** The file (or files) read, for error messages. */
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly dtype: PixelType;
  /** Whether the stored values are integers when `dtype` is a float (64-bit integers read as float64). */
  readonly integer?: boolean;
  /**
   * The names the file gives its channels (OME-TIFF: OME-XML `Channel Name`;
   * OME-Zarr: `omero.channels[].label`), one per channel, when it names every one.
   */
  readonly channelNames?: string[];
  /**
   * One plane per channel of the window rows [y0, y0 + h) x columns [x0, x0 + w),
   * each h * w row-major, of the source's dtype. `into`, when given, holds one
   * plane per channel of the source's dtype that the source may fill and return
   * (saving a copy); callers check what came back.
   */
  readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]>;
  close(): Promise<void>;
}

export function isIntegerType(t: PixelType): boolean {
  return !t.startsWith("float");
}

/** Whether a source holds integer values (a label mask must). */
export function holdsIntegers(source: ImageSource): boolean {
  return source.integer ?? isIntegerType(source.dtype);
}

export const PIXEL_ARRAYS: Record<PixelType, { new (n: number): PixelArray; new (b: ArrayBufferLike): PixelArray; BYTES_PER_ELEMENT: number }> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Several sources of the same H x W as one, channels in order (e.g. one TIFF per channel). */
export class StackedSource implements ImageSource {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly dtype: PixelType;
  readonly channelNames?: string[];

  constructor(private readonly parts: ImageSource[]) {
    this.name = parts.map((p) => p.name).join(", ");
    // Named only when every part names its channels (a name per file would be a guess).
    if (parts.every((p) => p.channelNames)) this.channelNames = parts.flatMap((p) => p.channelNames as string[]);
    this.height = parts[0].height;
    this.width = parts[0].width;
    this.channels = parts.reduce((n, p) => n + p.channels, 0);
    const types = new Set(parts.map((p) => p.dtype));
    // Mixed dtypes are read as float32, which holds every uint8/uint16 value exactly.
    this.dtype = types.size === 1 ? parts[0].dtype : "float32";
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    let c = 0;
    const slices = this.parts.map((p) => {
      const s = into?.slice(c, c + p.channels);
      c += p.channels;
      return s;
    });
    const planes = (await Promise.all(this.parts.map((p, k) => p.readWindow(y0, x0, h, w, slices[k])))).flat();
    return this.dtype === this.parts[0].dtype && this.parts.every((p) => p.dtype === this.dtype)
      ? planes
      : planes.map((p) => (p instanceof Float32Array ? p : Float32Array.from(p)));
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }
}
