// Masks derived from an input mask, read through the same ImageSource
// interface so the plan and the pipeline need not know: a binary mask
// labelled into connected components, and a cytosol mask whose labels are
// replaced by the ids of the nuclei they were matched to.
import { fillLabelWindow, type RunLabels } from "../kernels/components.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType } from "./source.js";

/** A binary mask's connected components (kernels/components.ts), as a uint32 label mask. */
export class LabelledSource implements ImageSource {
  readonly height: number;
  readonly width: number;
  readonly channels = 1;
  readonly dtype: PixelType = "uint32";

  constructor(
    readonly name: string,
    readonly labels: RunLabels,
  ) {
    this.height = labels.height;
    this.width = labels.width;
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    const t = into?.[0];
    const out = t instanceof Uint32Array && t.length === h * w ? t : new Uint32Array(h * w);
    fillLabelWindow(this.labels, y0, x0, h, w, out);
    return [out];
  }

  async close(): Promise<void> {}
}

/**
 * `inner` with each label replaced through `map` (labels not in it become 0),
 * stored as `dtype` (the nucleus mask's, which holds every id it maps to).
 * One map lookup per run of equal labels, not per pixel.
 */
export class RelabelledSource implements ImageSource {
  readonly height: number;
  readonly width: number;
  readonly channels = 1;
  private scratch: PixelArray | null = null;

  constructor(
    private readonly inner: ImageSource,
    private readonly map: Map<number, number>,
    readonly dtype: PixelType,
  ) {
    this.height = inner.height;
    this.width = inner.width;
  }

  get name(): string {
    return this.inner.name;
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    const n = h * w;
    const In = PIXEL_ARRAYS[this.inner.dtype];
    // The scratch is taken for the read and given back after: a concurrent read gets its own.
    const full = this.scratch instanceof In && this.scratch.length >= n ? this.scratch : new In(n);
    this.scratch = null;
    const [src] = await this.inner.readWindow(y0, x0, h, w, [full.subarray(0, n)]);
    const Out = PIXEL_ARRAYS[this.dtype];
    const t = into?.[0];
    const out = t instanceof Out && t.length === n ? t : new Out(n);
    const map = this.map;
    let last = 0;
    let mapped = 0;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      if (v !== last) {
        last = v;
        mapped = v === 0 ? 0 : (map.get(v) ?? 0);
      }
      out[i] = mapped;
    }
    this.scratch = full;
    return [out];
  }

  async close(): Promise<void> {}
}
