// lmdExport: selected cells of a segmentation mask to the cutting shapes of a
// Leica LMD, as py-lmd's SegmentationLoader makes them. The mask is read in
// strips of rows; only the selected cells' pixels are kept, each as a small
// map around the cell, so memory follows the cells, not the slide.
import { holdsIntegers, type ImageSource } from "../inputs/source.js";
import { type CalibrationPoints, checkCalibration } from "./calibration.js";
import { leicaXml } from "./leica-xml.js";
import { LmdError, type LmdOptions, resolveLmdOptions } from "./options.js";
import { polygonOf } from "./outline.js";
import { cutOrder, pathLength } from "./path.js";
import { intersects, type PixelMap, type Shaped, shapeOf } from "./pixel-map.js";

/** Cells cut into one well (py-lmd: a cell set `{"classes": [...], "well": "A1"}`). */
export interface CellSet {
  cellIds: ArrayLike<number>;
  /** The well / cap written as <CapID>; none: no CapID. */
  well?: string;
  /** A name for messages and the summary (default: the well, else "set N"). */
  name?: string;
}

export interface LmdShape {
  /** [row0, col0, row1, col1, ...] in mask pixels, in cutting order of its well. */
  points: Float64Array;
  well?: string;
  /** The cells in this shape (more than one when touching cells were joined). */
  cellIds: number[];
  /** Centre (row, col) used for the cutting order. */
  centre: [number, number];
}

export interface LmdSetSummary {
  name: string;
  well?: string;
  cells: number;
  shapes: number;
  points: number;
  /** Path through the shapes' centres in listed order and in the cutting order, in pixels. */
  pathBefore: number;
  pathAfter: number;
}

export interface LmdResult {
  xml: string;
  shapes: LmdShape[];
  sets: LmdSetSummary[];
  calibration: CalibrationPoints;
  options: LmdOptions;
  /** Mask size read. */
  height: number;
  width: number;
}

/** Pixels of one cell as collected from the strips: growable (row, col) pairs. */
class CellPixels {
  ys = new Int32Array(16);
  xs = new Int32Array(16);
  n = 0;
  push(y: number, x: number): void {
    if (this.n === this.ys.length) {
      const ys = new Int32Array(this.n * 2);
      const xs = new Int32Array(this.n * 2);
      ys.set(this.ys);
      xs.set(this.xs);
      this.ys = ys;
      this.xs = xs;
    }
    this.ys[this.n] = y;
    this.xs[this.n] = x;
    this.n++;
    this.lastY = y;
  }
  lastY = -1;
  /** The cell's pixels back from the map `finish` made of them (it is dropped from `done`). */
  reopen(done: Map<number, CellMap>): void {
    for (const [id, c] of done) {
      if (c.source !== this) continue;
      const { data, h, w, oy, ox } = c.map;
      this.ys = new Int32Array(Math.max(16, this.n * 2));
      this.xs = new Int32Array(this.ys.length);
      this.n = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (data[y * w + x]) this.push(oy + y, ox + x);
      done.delete(id);
      return;
    }
  }
  /** A tight map of the pixels, and their mean. */
  toMap(): { map: PixelMap; cy: number; cx: number; source: CellPixels } {
    let y0 = Infinity;
    let y1 = -Infinity;
    let x0 = Infinity;
    let x1 = -Infinity;
    let sy = 0;
    let sx = 0;
    for (let i = 0; i < this.n; i++) {
      const y = this.ys[i];
      const x = this.xs[i];
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      sy += y;
      sx += x;
    }
    const h = y1 - y0 + 1;
    const w = x1 - x0 + 1;
    const data = new Uint8Array(h * w);
    for (let i = 0; i < this.n; i++) data[(this.ys[i] - y0) * w + (this.xs[i] - x0)] = 1;
    return { map: { data, h, w, oy: y0, ox: x0 }, cy: sy / this.n, cx: sx / this.n, source: this };
  }
}

/** Rows per strip: about 4 M pixels at a time. */
function stripRows(width: number): number {
  return Math.max(1, Math.floor((1 << 22) / Math.max(1, width)));
}

type CellMap = ReturnType<CellPixels["toMap"]>;

/**
 * Reads the mask strip by strip and collects the pixels of `ids` (channel 0).
 * Throws naming every id that has no pixel.
 */
export async function collectCells(mask: ImageSource, ids: number[]): Promise<Map<number, CellMap>> {
  if (!holdsIntegers(mask)) throw new LmdError("mask", `${mask.name}: holds ${mask.dtype} values; a segmentation mask holds integer cellIDs`);
  const maxId = ids.reduce((a, b) => Math.max(a, b), 0);
  const cells = new Map<number, CellPixels>();
  for (const id of ids) cells.set(id, new CellPixels());
  // A table by id when ids are small enough, else a Map lookup per labelled pixel.
  const table = maxId < 1 << 26 ? new Int32Array(maxId + 1).fill(-1) : undefined;
  const slot: CellPixels[] = [];
  for (const id of ids) {
    if (table) table[id] = slot.length;
    slot.push(cells.get(id) as CellPixels);
  }
  const rows = stripRows(mask.width);
  const W = mask.width;
  const done = new Map<number, CellMap>();
  for (let y0 = 0; y0 < mask.height; y0 += rows) {
    // A cell with no pixel in the previous strip is complete: keep it as a
    // map (a byte per pixel of its box) and drop its lists (8 bytes a pixel).
    for (const [id, c] of cells) {
      if (c.n > 0 && c.lastY < y0 - 1 && !done.has(id)) {
        done.set(id, c.toMap());
        c.ys = c.xs = new Int32Array(0);
      }
    }
    const h = Math.min(rows, mask.height - y0);
    const [plane] = await mask.readWindow(y0, 0, h, W);
    for (let i = 0; i < h * W; i++) {
      const v = plane[i];
      if (v <= 0) continue;
      let c: CellPixels | undefined;
      if (table) {
        if (v > maxId) continue;
        const s = table[v];
        if (s < 0) continue;
        c = slot[s];
      } else {
        c = cells.get(v);
        if (!c) continue;
      }
      const y = (i / W) | 0;
      // A cell in pieces further apart than a strip: back to lists.
      if (c.ys.length === 0) c.reopen(done);
      c.push(y0 + y, i - y * W);
    }
  }
  const missing = ids.filter((id) => (cells.get(id) as CellPixels).n === 0);
  if (missing.length) {
    const shown = missing.length > 20 ? `${missing.slice(0, 20).join(", ")}, ... (${missing.length} in all)` : missing.join(", ");
    throw new LmdError("mask", `${mask.name}: no pixel has the cellID ${shown}; expected every selected cell in the mask (is it the mask the cells were extracted from?)`);
  }
  return new Map(ids.map((id) => [id, done.get(id) ?? (cells.get(id) as CellPixels).toMap()]));
}

/** Tiny union-find over shape indices; the representative is the smallest index. */
function components(n: number, pairs: Iterable<[number, number]>): number[][] {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (const [a, b] of pairs) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  // In order of their first member, as py-lmd lists its connected components.
  return [...groups.values()];
}

/** Pairs (i, j), i < j, whose centres are at most `dist` apart (a grid of buckets of that size). */
function* nearPairs(cy: Float64Array, cx: Float64Array, dist: number): Generator<[number, number]> {
  const side = Math.max(dist, 1);
  const buckets = new Map<string, number[]>();
  const key = (a: number, b: number) => `${a},${b}`;
  for (let i = 0; i < cy.length; i++) {
    const k = key(Math.floor(cy[i] / side), Math.floor(cx[i] / side));
    const b = buckets.get(k);
    if (b) b.push(i);
    else buckets.set(k, [i]);
  }
  for (let i = 0; i < cy.length; i++) {
    const by = Math.floor(cy[i] / side);
    const bx = Math.floor(cx[i] / side);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const j of buckets.get(key(by + dy, bx + dx)) ?? []) {
          if (j > i && Math.hypot(cy[i] - cy[j], cx[i] - cx[j]) <= dist) yield [i, j];
        }
      }
    }
  }
}

/** One well's shapes: joined (optionally), smoothed, outlined, ordered. */
function shapesOfSet(ids: number[], pixels: Map<number, CellMap>, o: LmdOptions, well: string | undefined): { shapes: LmdShape[]; before: number; after: number } {
  const cells = ids.map((id) => pixels.get(id) as CellMap);
  let groups: { shaped: Shaped; centre: [number, number]; cellIds: number[] }[];
  if (o.joinIntersecting) {
    // py-lmd: each cell dilated by shapeDilation (holes filled); cells whose
    // dilated pixels overlap become one shape, closed by binarySmoothing.
    const dilated = cells.map((c) => shapeOf([c.map], o.shapeDilation, 0).map);
    const cy = Float64Array.from(cells, (c) => c.cy);
    const cx = Float64Array.from(cells, (c) => c.cx);
    const pairs: [number, number][] = [];
    for (const [i, j] of nearPairs(cy, cx, o.distanceHeuristic)) if (intersects(dilated[i], dilated[j])) pairs.push([i, j]);
    groups = components(cells.length, pairs).map((members) => {
      const shaped = shapeOf(
        members.map((m) => dilated[m]),
        o.binarySmoothing,
        o.binarySmoothing,
      );
      return { shaped, centre: [shaped.cy, shaped.cx], cellIds: members.map((m) => ids[m]) };
    });
  } else {
    groups = cells.map((c, i) => ({
      shaped: shapeOf([c.map], o.binarySmoothing + o.shapeDilation, o.binarySmoothing + o.shapeErosion),
      centre: [c.cy, c.cx],
      cellIds: [ids[i]],
    }));
  }
  const centres = new Float64Array(groups.length * 2);
  groups.forEach((g, i) => {
    centres[2 * i] = g.centre[0];
    centres[2 * i + 1] = g.centre[1];
  });
  const identity = Int32Array.from({ length: groups.length }, (_, i) => i);
  const order = cutOrder(centres, o.pathOptimization, o.hilbertP);
  const shapes = Array.from(order, (k) => ({
    points: polygonOf(groups[k].shaped.map, o.convolutionSmoothing, o.rdpEpsilon),
    well,
    cellIds: groups[k].cellIds,
    centre: groups[k].centre,
  }));
  return { shapes, before: pathLength(centres, identity), after: pathLength(centres, order) };
}

/**
 * The cutting shapes of the cell sets on `mask` and the Leica XML for them.
 * Each set's cells become the shapes of its well (joined, smoothed and
 * ordered within the set); the sets follow one another in the XML.
 */
export async function lmdExport(mask: ImageSource, sets: CellSet[], calibration: number[][], options: Partial<LmdOptions> = {}): Promise<LmdResult> {
  const o = resolveLmdOptions(options);
  const cal = checkCalibration(calibration);
  if (sets.length === 0) throw new LmdError("sets", "no cell set; expected at least one set of cellIDs");
  const lists = sets.map((s, k) => {
    const name = s.name ?? s.well ?? `set ${k + 1}`;
    const ids = Array.from(s.cellIds, Number);
    if (ids.length === 0) throw new LmdError("sets", `cell set ${name}: selects no cell`);
    const bad = ids.filter((id) => !Number.isInteger(id) || id <= 0);
    if (bad.length) throw new LmdError("sets", `cell set ${name}: ${bad.slice(0, 10).join(", ")} ${bad.length === 1 ? "is not a cellID" : "are not cellIDs"}; expected positive integers (0 is the background)`);
    return { name, well: s.well, ids: [...new Set(ids)] };
  });
  const pixels = await collectCells(mask, [...new Set(lists.flatMap((l) => l.ids))]);
  const shapes: LmdShape[] = [];
  const summaries: LmdSetSummary[] = [];
  for (const l of lists) {
    const r = shapesOfSet(l.ids, pixels, o, l.well);
    shapes.push(...r.shapes);
    summaries.push({
      name: l.name,
      well: l.well,
      cells: l.ids.length,
      shapes: r.shapes.length,
      points: r.shapes.reduce((a, s) => a + s.points.length / 2, 0),
      pathBefore: r.before,
      pathAfter: r.after,
    });
  }
  const tooFew = shapes.find((s) => s.points.length < 6);
  if (tooFew) {
    throw new LmdError("rdpEpsilon", `the shape of cell ${tooFew.cellIds.join("+")} has fewer than 3 points after simplification; lower rdpEpsilon or convolutionSmoothing`);
  }
  const xml = leicaXml(shapes, cal, o.orientationTransform, o.xmlDecimalTransform);
  return { xml, shapes, sets: summaries, calibration: cal, options: o, height: mask.height, width: mask.width };
}
