// Per-label centroid and bounding box in one pass over a nucleus label mask.
// Rows are walked as runs of equal labels, so a label costs one lookup per run,
// not per pixel, and the sums of a run are closed-form.
import { LabelTable } from "./label-table.js";
import type { Rect } from "./rect.js";

export interface CellInfo {
  /** The label (cellID) in the masks. */
  id: number;
  /** Centroid rounded half to even (numpy's round): the crop is [cy - S/2, cy + S/2). */
  cy: number;
  cx: number;
  /** Unrounded mean row / column of the nucleus pixels, slide coordinates. */
  centroidY: number;
  centroidX: number;
  /** Bounding box of the nucleus pixels, [y0, y1) x [x0, x1), slide coordinates. */
  y0: number;
  x0: number;
  y1: number;
  x1: number;
  /** Number of nucleus pixels. */
  area: number;
  /**
   * A box holding every pixel of the cell's cytosol (slide coordinates), when
   * the masks' scan knows it (masks.ts): the cytosol's crop looks only there.
   * Absent: the whole crop is looked at. Empty: the cytosol mask lacks the cell.
   */
  cytosolBox?: Rect;
}

/** Any integer label plane, row-major. */
export type LabelPlane = ArrayLike<number>;

/** numpy's round(): half to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Accumulates cells over one mask or over its tiles (a cell may span tiles):
 * add every tile with its origin, then finish().
 */
export class CellAccumulator {
  private readonly index = new LabelTable();
  private sumY = new Float64Array(1024);
  private sumX = new Float64Array(1024);
  private count = new Float64Array(1024);
  private box = new Int32Array(4 * 1024);
  /** The slot of the last label added (labels are never 0, so the first always looks up). */
  private lastId = 0;
  private lastSlot = -1;

  private slot(id: number): number {
    const n = this.index.size;
    const k = this.index.add(id);
    if (k < n) return k;
    if (k === this.count.length) this.grow();
    this.box[4 * k] = 0x7fffffff;
    this.box[4 * k + 1] = 0x7fffffff;
    this.box[4 * k + 2] = -0x80000000;
    this.box[4 * k + 3] = -0x80000000;
    return k;
  }

  private grow(): void {
    const cap = this.count.length * 2;
    const g = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.sumY = g(this.sumY);
    this.sumX = g(this.sumX);
    this.count = g(this.count);
    const box = new Int32Array(4 * cap);
    box.set(this.box);
    this.box = box;
  }

  /** Add a height x width tile whose pixel (0, 0) is slide pixel (originY, originX). */
  add(mask: LabelPlane, height: number, width: number, originY = 0, originX = 0): void {
    if (mask.length < height * width) throw new RangeError(`findCells: mask has ${mask.length} values, expected ${height} x ${width}`);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      let x = 0;
      while (x < width) {
        const v = mask[row + x];
        if (v === 0) {
          x++;
          continue;
        }
        const a = x;
        x++;
        while (x < width && mask[row + x] === v) x++;
        this.addRun(v, y + originY, a + originX, x - a);
      }
    }
  }

  /** How many labels so far: their slots are 0 to this - 1, in order of first sight. */
  get labels(): number {
    return this.index.size;
  }

  /** The label of slot k. */
  label(k: number): number {
    return this.index.key(k);
  }

  /** Add `len` pixels of label `id` (not 0) on slide row y from column x on; returns the label's slot. */
  addRun(id: number, y: number, x: number, len: number): number {
    if (id !== this.lastId) {
      this.lastSlot = this.slot(id);
      this.lastId = id;
    }
    const k = this.lastSlot;
    this.count[k] += len;
    this.sumY[k] += y * len;
    this.sumX[k] += (len * (2 * x + len - 1)) / 2;
    const box = this.box;
    const b = 4 * k;
    if (y < box[b]) box[b] = y;
    if (x < box[b + 1]) box[b + 1] = x;
    if (y + 1 > box[b + 2]) box[b + 2] = y + 1;
    if (x + len > box[b + 3]) box[b + 3] = x + len;
    return k;
  }

  /** The pixels of slot k's label so far. */
  area(k: number): number {
    return this.count[k];
  }

  /** The cells, sorted by id. */
  finish(): CellInfo[] {
    const n = this.index.size;
    const out: CellInfo[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const area = this.count[k];
      const my = this.sumY[k] / area;
      const mx = this.sumX[k] / area;
      out[k] = {
        id: this.index.key(k),
        cy: roundHalfEven(my),
        cx: roundHalfEven(mx),
        centroidY: my,
        centroidX: mx,
        y0: this.box[4 * k],
        x0: this.box[4 * k + 1],
        y1: this.box[4 * k + 2],
        x1: this.box[4 * k + 3],
        area,
      };
    }
    out.sort((a, b) => a.id - b.id);
    return out;
  }
}

/**
 * Centroids (mean row / column, and rounded half to even) and bounding boxes of
 * every nonzero label of a height x width mask, sorted by id. A mask read in
 * tiles goes through CellAccumulator instead.
 */
export function findCells(mask: LabelPlane, height: number, width: number, originY = 0, originX = 0): CellInfo[] {
  const acc = new CellAccumulator();
  acc.add(mask, height, width, originY, originX);
  return acc.finish();
}
