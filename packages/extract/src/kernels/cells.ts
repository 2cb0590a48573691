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
  finish(): CellTable {
    const n = this.index.size;
    const order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => this.index.key(a) - this.index.key(b));
    const table = new CellTable(new Float64Array(n * CELL_FIELDS));
    const d = table.data;
    for (let r = 0; r < n; r++) {
      const k = order[r];
      const area = this.count[k];
      const my = this.sumY[k] / area;
      const mx = this.sumX[k] / area;
      const o = r * CELL_FIELDS;
      d[o] = this.index.key(k);
      d[o + 1] = roundHalfEven(my);
      d[o + 2] = roundHalfEven(mx);
      d[o + 3] = my;
      d[o + 4] = mx;
      d[o + 5] = this.box[4 * k];
      d[o + 6] = this.box[4 * k + 1];
      d[o + 7] = this.box[4 * k + 2];
      d[o + 8] = this.box[4 * k + 3];
      d[o + 9] = area;
      d[o + 10] = Number.NaN; // no cytosol box known
    }
    return table;
  }
}

/** Numbers a cell takes in a CellTable: id, cy, cx, centroidY, centroidX, y0, x0, y1, x1, area, then the cytosol box (y0 NaN: none). */
export const CELL_FIELDS = 14;
const BOX = 10;

/**
 * Cells as one Float64Array, CELL_FIELDS numbers a cell in row order: the
 * plan's cells, and a batch on its way to a worker (one copy, no objects).
 * 112 bytes a cell, outside the JavaScript heap: as objects (with their
 * cytosol boxes ~270 bytes each) the 50,000-cell bench slide's plan held
 * 13 MB of the main thread's old generation, and V8 let it grow ~2x that.
 */
export class CellTable {
  readonly length: number;

  constructor(readonly data: Float64Array) {
    this.length = data.length / CELL_FIELDS;
  }

  static of(cells: readonly CellInfo[]): CellTable {
    const t = new CellTable(new Float64Array(cells.length * CELL_FIELDS));
    cells.forEach((c, r) => {
      const o = r * CELL_FIELDS;
      t.data.set([c.id, c.cy, c.cx, c.centroidY, c.centroidX, c.y0, c.x0, c.y1, c.x1, c.area], o);
      if (c.cytosolBox) t.setCytosolBox(r, c.cytosolBox);
      else t.data[o + BOX] = Number.NaN;
    });
    return t;
  }

  id(r: number): number {
    return this.data[r * CELL_FIELDS];
  }

  cy(r: number): number {
    return this.data[r * CELL_FIELDS + 1];
  }

  cx(r: number): number {
    return this.data[r * CELL_FIELDS + 2];
  }

  centroidY(r: number): number {
    return this.data[r * CELL_FIELDS + 3];
  }

  centroidX(r: number): number {
    return this.data[r * CELL_FIELDS + 4];
  }

  setCytosolBox(r: number, b: Rect): void {
    const o = r * CELL_FIELDS + BOX;
    this.data[o] = b.y0;
    this.data[o + 1] = b.x0;
    this.data[o + 2] = b.y1;
    this.data[o + 3] = b.x1;
  }

  /** Cell r as an object: into `cell` and its box into `box` when given (reused along a batch), else new ones. */
  get(r: number, cell = {} as CellInfo, box?: Rect): CellInfo {
    const d = this.data;
    const o = r * CELL_FIELDS;
    cell.id = d[o];
    cell.cy = d[o + 1];
    cell.cx = d[o + 2];
    cell.centroidY = d[o + 3];
    cell.centroidX = d[o + 4];
    cell.y0 = d[o + 5];
    cell.x0 = d[o + 6];
    cell.y1 = d[o + 7];
    cell.x1 = d[o + 8];
    cell.area = d[o + 9];
    if (Number.isNaN(d[o + BOX])) cell.cytosolBox = undefined;
    else {
      const b = box ?? ({} as Rect);
      b.y0 = d[o + BOX];
      b.x0 = d[o + BOX + 1];
      b.y1 = d[o + BOX + 2];
      b.x1 = d[o + BOX + 3];
      cell.cytosolBox = b;
    }
    return cell;
  }

  /** The rows `rows` (indices into this table), in that order, as a table of their own. */
  rows(rows: ArrayLike<number>): CellTable {
    const out = new Float64Array(rows.length * CELL_FIELDS);
    for (let k = 0; k < rows.length; k++) out.set(this.data.subarray(rows[k] * CELL_FIELDS, (rows[k] + 1) * CELL_FIELDS), k * CELL_FIELDS);
    return new CellTable(out);
  }

  /** Rows [start, end), copied. */
  slice(start: number, end: number): CellTable {
    return new CellTable(this.data.slice(start * CELL_FIELDS, end * CELL_FIELDS));
  }

  /** One field of every cell. */
  column(field: "id" | "centroidY" | "centroidX"): Float64Array {
    const f = field === "id" ? 0 : field === "centroidY" ? 3 : 4;
    return Float64Array.from({ length: this.length }, (_, r) => this.data[r * CELL_FIELDS + f]);
  }

  toArray(): CellInfo[] {
    return Array.from({ length: this.length }, (_, r) => this.get(r));
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
  return acc.finish().toArray();
}
