// Connected components of a binary mask (every non-zero pixel is foreground),
// streamed band of rows by band of rows and kept as runs: each row's maximal
// runs of foreground pixels, with the label of the component each run belongs
// to. The labels are skimage.measure.label's for a 2-D image with its default
// connectivity (None = full = 8-connectivity: diagonal neighbours join) and
// background 0: components numbered 1, 2, ... in raster order of their first
// pixel.
//
// Memory: 12 bytes per run (start, end, label) plus 4 bytes per row, never a
// plane of the slide. A 4000 x 4000 slide of 7,000 nuclei of ~20 rows holds
// ~140,000 runs (1.7 MB) where a uint32 label plane would take 64 MB; the
// worst case (every other pixel foreground) is 6 bytes per pixel.

/** Columns or labels of runs: 16 bits where they fit (a label mask kept as runs, inputs/run-mask.ts), else 32. */
export type RunValues = Uint16Array | Uint32Array;

/** Labelled runs by row: what fillLabelWindow reads (also a label mask kept as runs, inputs/run-mask.ts). */
export interface LabelRuns {
  /** Runs of row y are [rowStart[y], rowStart[y + 1]). */
  rowStart: Uint32Array;
  /** Run k covers columns [start[k], end[k]) of its row. */
  start: RunValues;
  end: RunValues;
  /** Label of run k. */
  label: RunValues;
}

/** The labelled runs of a height x width binary mask's components. */
export interface RunLabels extends LabelRuns {
  height: number;
  width: number;
  /** Component of run k (`label`), 1-based, raster order of first pixel; this many components. */
  count: number;
}

/** `a` in an array of its type twice as long (growing run stores). */
export function doubled<T extends RunValues>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Builds RunLabels from rows given in order (bands of any height): runs of a
 * row are joined to the overlapping runs of the row above (8-connectivity:
 * runs that touch diagonally join; `connectivity` 1 joins only runs sharing a
 * column) by union-find whose root is the smallest run index, so the root of a
 * component is its first run in raster order.
 */
export class RunLabeller {
  private start = new Uint32Array(4096);
  private end = new Uint32Array(4096);
  private parent = new Uint32Array(4096);
  private runs = 0;
  private readonly rowStart: Uint32Array;
  private row = 0;

  constructor(
    readonly height: number,
    readonly width: number,
    /** 2 (default): 8-connectivity, skimage's default for 2-D; 1: 4-connectivity. */
    readonly connectivity: 1 | 2 = 2,
  ) {
    this.rowStart = new Uint32Array(height + 1);
  }

  private grow(): void {
    this.start = doubled(this.start);
    this.end = doubled(this.end);
    this.parent = doubled(this.parent);
  }

  private find(k: number): number {
    const p = this.parent;
    let r = k;
    while (p[r] !== r) r = p[r];
    while (p[k] !== r) {
      const next = p[k];
      p[k] = r;
      k = next;
    }
    return r;
  }

  /** The next `h` rows, row-major, `width` values each. */
  addRows(plane: ArrayLike<number>, h: number): void {
    const w = this.width;
    const touch = this.connectivity === 2 ? 1 : 0;
    for (let y = 0; y < h; y++) {
      if (this.row >= this.height) throw new RangeError(`RunLabeller: more than ${this.height} rows`);
      const rowOff = y * w;
      const first = this.runs;
      // Runs of the row above: [prev, first).
      const prevStart = this.row > 0 ? this.rowStart[this.row - 1] : first;
      let j = prevStart;
      let x = 0;
      while (x < w) {
        if (plane[rowOff + x] === 0) {
          x++;
          continue;
        }
        const a = x;
        x++;
        while (x < w && plane[rowOff + x] !== 0) x++;
        const k = this.runs++;
        if (k === this.start.length) this.grow();
        this.start[k] = a;
        this.end[k] = x;
        this.parent[k] = k;
        // Runs above that end before this one can reach are behind us for good.
        while (j < first && this.end[j] + touch <= a) j++;
        // Every run above that starts within reach joins this one.
        for (let i = j; i < first && this.start[i] < x + touch; i++) {
          const ri = this.find(i);
          const rk = this.find(k);
          if (ri < rk) this.parent[rk] = ri;
          else if (rk < ri) this.parent[ri] = rk;
        }
      }
      this.rowStart[this.row] = first;
      this.row++;
      this.rowStart[this.row] = this.runs;
    }
  }

  finish(): RunLabels {
    if (this.row !== this.height) throw new RangeError(`RunLabeller: ${this.row} of ${this.height} rows given`);
    const n = this.runs;
    const label = new Uint32Array(n);
    let count = 0;
    for (let k = 0; k < n; k++) {
      const r = this.find(k);
      // The root is the smallest run of its component: labelled before any other run of it.
      label[k] = r === k ? ++count : label[r];
    }
    return {
      height: this.height,
      width: this.width,
      rowStart: this.rowStart,
      start: this.start.slice(0, n),
      end: this.end.slice(0, n),
      label,
      count,
    };
  }
}

/** A typed array of numbers (the planes a window is filled into). */
type NumberArray = ArrayBufferView & { [i: number]: number; BYTES_PER_ELEMENT: number; fill(v: number, a?: number, b?: number): unknown };

/**
 * Zeros out[0, n). On a SharedArrayBuffer (the bands the workers read) V8
 * fills a Uint16Array element by element, 2.5-5x slower than memset (80 MB:
 * 25-50 ms against 7); through a Float64Array view, eight bytes a store, it
 * is ~10 ms (zero is all-zero bits in every type).
 */
function zeroFill(out: NumberArray, n: number): void {
  const size = out.BYTES_PER_ELEMENT;
  const at = out.byteOffset;
  const end = at + n * size;
  // (a and b are multiples of 8, so of every element size: views of whole elements)
  const a = Math.min(end, (at + 7) & ~7);
  const b = Math.max(a, end & ~7);
  if (b - a < 64) {
    out.fill(0, 0, n);
    return;
  }
  out.fill(0, 0, (a - at) / size);
  new Float64Array(out.buffer, a, (b - a) / 8).fill(0);
  out.fill(0, (b - at) / size, n);
}

/** Labels of rows [y0, y0 + h) x columns [x0, x0 + w) into out (h * w, row-major). */
export function fillLabelWindow(r: LabelRuns, y0: number, x0: number, h: number, w: number, out: NumberArray): void {
  zeroFill(out, h * w);
  const x1 = x0 + w;
  for (let y = 0; y < h; y++) {
    const a = r.rowStart[y0 + y];
    const b = r.rowStart[y0 + y + 1];
    // First run ending after x0.
    let lo = a;
    let hi = b;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.end[mid] <= x0) lo = mid + 1;
      else hi = mid;
    }
    const base = y * w - x0;
    for (let k = lo; k < b && r.start[k] < x1; k++) {
      const s = r.start[k] > x0 ? r.start[k] : x0;
      const e = r.end[k] < x1 ? r.end[k] : x1;
      out.fill(r.label[k], base + s, base + e);
    }
  }
}
