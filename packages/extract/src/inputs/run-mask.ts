// A label mask kept as the runs of equal labels the plan's scan found
// (masks.ts), read back as windows by the extraction instead of decoding the
// mask file a second time. A slide's masks are mostly long runs: the bench's
// 4000 x 4000 slide holds 80,107 nucleus and 205,934 cytosol runs (6 bytes
// each: columns and labels in 16 bits; 1.7 MB) against 64 MB a mask as uint32
// planes, whose tiles the second pass inflated and copied again (~1/3 of the
// pixels the main thread moved). Memory is bounded: a recorder past its
// budget stops and the mask is read from its file as before.
import { fillLabelWindow, type LabelRuns, type RunValues } from "../kernels/components.js";
import { type ImageSource, PIXEL_ARRAYS, type PixelArray, type PixelType } from "./source.js";

/**
 * Integer pixel types of at most 32 bits: a Uint32Array holds each label's
 * bits, and filling a plane of the mask's own type gives the value back.
 */
const KEPT_TYPES: readonly PixelType[] = ["uint8", "int8", "uint16", "int16", "uint32", "int32"];

/** Runs kept by default while both masks together hold at most this many (8 bytes each while scanning, 12 on slides over 65,535 pixels wide: at most 32 / 48 MiB). */
export const MAX_KEPT_RUNS = 4 << 20;

/**
 * Runs a page holds. The recorder grows page by page rather than by doubling
 * arrays: each doubling freed the array it outgrew, a hole of a growing size
 * in the allocator's heap, and the last could hold twice the runs (a
 * 200,000-cell bench slide peaked at 420-427 MB so, 440-453 with doubling).
 */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;

/** Collects one mask's non-zero runs in raster order (rows ascending, columns ascending within a row). */
export class RunRecorder {
  private rowStart: Uint32Array;
  private readonly Columns: typeof Uint16Array | typeof Uint32Array;
  /** Full pages, then the page being filled (`start`, `end`, `label`). */
  private pages: { start: RunValues; end: RunValues; label: Uint32Array }[] = [];
  private start: RunValues;
  private end: RunValues;
  private label: Uint32Array;
  /** Runs in the page being filled; `n`: runs in all. */
  private inPage = 0;
  private n = 0;
  /** Rows whose start is set: runs of rows < `rowsDone` are final. */
  private rowsDone = 0;
  private lastY = -1;
  private min = Infinity;
  private max = -Infinity;

  private constructor(private readonly source: ImageSource) {
    this.rowStart = new Uint32Array(source.height + 1);
    // Columns in 16 bits when the mask is at most 65,535 pixels wide.
    this.Columns = source.width <= 0xffff ? Uint16Array : Uint32Array;
    this.start = new this.Columns(PAGE);
    this.end = new this.Columns(PAGE);
    this.label = new Uint32Array(PAGE);
  }

  /** A recorder for `source`, or null when its labels are not integers of 32 bits or fewer. */
  static for(source: ImageSource): RunRecorder | null {
    return KEPT_TYPES.includes(source.dtype) ? new RunRecorder(source) : null;
  }

  get runs(): number {
    return this.n;
  }

  /** `len` pixels of `label` (not 0) on row y from column x; a run continuing the last one of the same label extends it. */
  add(label: number, y: number, x: number, len: number): void {
    const k = this.inPage - 1;
    if (y === this.lastY && k >= 0 && x === this.end[k] && this.label[k] === label) {
      this.end[k] += len;
      return;
    }
    if (y !== this.lastY) {
      // rows this.rowsDone..y start here (rows with no run included)
      for (let r = this.rowsDone; r <= y; r++) this.rowStart[r] = this.n;
      this.rowsDone = y + 1;
      this.lastY = y;
    }
    if (label < this.min) this.min = label;
    if (label > this.max) this.max = label;
    if (this.inPage === PAGE) {
      this.pages.push({ start: this.start, end: this.end, label: this.label });
      this.start = new this.Columns(PAGE);
      this.end = new this.Columns(PAGE);
      this.label = new Uint32Array(PAGE);
      this.inPage = 0;
    }
    const i = this.inPage++;
    this.start[i] = x;
    this.end[i] = x + len;
    this.label[i] = label;
    this.n++;
  }

  /**
   * The mask as a source that reads windows from the runs (in arrays of
   * their count, labels in 16 bits where they fit: 6 bytes a run on slides up
   * to 65,535 pixels wide), of the narrowest unsigned type holding its
   * labels: a uint32 mask of ids below 65,536 is read as uint16, half the
   * bytes in every band. The recorder is spent.
   */
  finish(): RunMaskSource {
    for (let r = this.rowsDone; r <= this.source.height; r++) this.rowStart[r] = this.n;
    const narrow = this.min >= 0 && this.max < 65536;
    const dtype: PixelType = !narrow ? this.source.dtype : this.max < 256 ? "uint8" : "uint16";
    const start = new this.Columns(this.n);
    const end = new this.Columns(this.n);
    const label = narrow ? new Uint16Array(this.n) : new Uint32Array(this.n);
    this.pages.push({ start: this.start, end: this.end, label: this.label });
    this.pages.forEach((p, k) => {
      const m = Math.min(PAGE, this.n - k * PAGE);
      start.set(p.start.subarray(0, m), k * PAGE);
      end.set(p.end.subarray(0, m), k * PAGE);
      label.set(p.label.subarray(0, m), k * PAGE);
    });
    this.pages = [];
    return new RunMaskSource(this.source, dtype, { rowStart: this.rowStart, start, end, label });
  }
}

/**
 * A label mask read from its runs (the layout of a binary mask's labelled
 * runs, kernels/components.ts, read by the same fillLabelWindow); the same
 * name and size as the file it came from, a pixel type that holds its labels.
 */
export class RunMaskSource implements ImageSource {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly channels = 1;

  constructor(
    source: ImageSource,
    readonly dtype: PixelType,
    private readonly runs: LabelRuns,
  ) {
    this.name = source.name;
    this.height = source.height;
    this.width = source.width;
  }

  async readWindow(y0: number, x0: number, h: number, w: number, into?: PixelArray[]): Promise<PixelArray[]> {
    const T = PIXEL_ARRAYS[this.dtype];
    const t = into?.[0];
    const out = t instanceof T && t.length === h * w ? t : new T(h * w);
    fillLabelWindow(this.runs, y0, x0, h, w, out);
    return [out];
  }

  async close(): Promise<void> {}
}
