// The embedding panel: two columns of an obsm array (X_umap, X_pca, ...) or
// two numeric obs columns as a scatter of every cell, coloured by an obs
// column. A lasso (drag) or box (shift-drag) selects points and the grid
// shows only those; hovering a point shows its cell; the cell in the detail
// and the selected cells are ringed.
//
// Fluid at a million points: positions and colours live in typed arrays, the
// points are written straight into an ImageData as packed RGBA words, and
// each point's pixel is binned (a counting sort by pixel) so that hovering
// looks at the few pixels around the pointer. A lasso is rasterised once
// (inside / outside / near the edge per pixel); only the points in pixels
// near its edge get an exact point-in-polygon test.
import { OBS_COLUMNS } from "@cellfolio/format";
import type { Dataset } from "@cellfolio/lazy";
import { escapeHtml } from "./grid.js";
import { fmt, isNumeric, missingOf, NA, showValue } from "./obs.js";
import type { Rgb } from "./render.js";

/** Colours of the categories, in the order of their sorted values (cycled past 12). */
export const PALETTE: Rgb[] = [
  [76, 154, 255],
  [255, 140, 40],
  [70, 200, 90],
  [235, 70, 80],
  [170, 120, 230],
  [160, 110, 80],
  [240, 120, 200],
  [255, 185, 150],
  [200, 210, 60],
  [40, 210, 220],
  [255, 220, 120],
  [120, 90, 200],
];
/** Points whose value of the colour column is missing: a neutral grey (no palette colour is grey). */
export const NA_COLOR: Rgb = [150, 150, 150];
/** Stops of the colormap of numeric columns, low to high. */
const RAMP: Rgb[] = [
  [50, 30, 110],
  [40, 100, 180],
  [30, 170, 150],
  [140, 210, 70],
  [250, 230, 40],
];
/** A numeric column with at most this many distinct values is coloured as categories. */
const MAX_CATEGORIES = 24;
/** Margin of the plot, in canvas pixels: the data's bounding box fits inside it, aspect kept. */
export const PAD = 10;
const BACKGROUND = pack([13, 16, 19]);
const DIM = pack([55, 61, 69]);
const PLAIN = pack([120, 190, 255]);
const NA_PACKED = pack(NA_COLOR);
/** Hover and click look this far (canvas pixels) for the nearest point. */
const REACH = 6;

/** RGBA as one little-endian word of an ImageData's Uint32Array view (alpha 255). */
function pack([r, g, b]: Rgb): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

function ramp(t: number): Rgb {
  const f = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(f));
  const u = f - i;
  return [0, 1, 2].map((k) => Math.round(RAMP[i][k] + (RAMP[i + 1][k] - RAMP[i][k]) * u)) as Rgb;
}

/** Whether (x, y) is inside the polygon (even-odd rule). */
export function insidePolygon(poly: Float64Array, x: number, y: number): boolean {
  let inside = false;
  const n = poly.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = poly[2 * i];
    const yi = poly[2 * i + 1];
    const xj = poly[2 * j];
    const yj = poly[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export interface EmbeddingHost {
  cellId(row: number): number;
  /** The lasso / box selection changed: filter the grid again. */
  selectionChanged(): void;
  /** A cell's thumbnail (read if needed). */
  thumb(row: number): Promise<HTMLCanvasElement | null>;
  /** A click on a point: open that cell. */
  pick(row: number): void;
}

const $ = <T extends HTMLElement>(root: HTMLElement, sel: string) => root.querySelector(sel) as T;

export class Embedding {
  private ds: Dataset | null = null;
  private n = 0;
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private colors = new Uint32Array(0);
  /** Rows the obs filter shows (null: all). */
  private shown: Uint8Array | null = null;
  /** Rows in the lasso / box (null: no selection), as a mask and in order. */
  private sel: Uint8Array | null = null;
  private selRows: number[] = [];
  /**
   * The view: canvas x = ox + (x - x0) * scale, canvas y = oy + (y1 - y) *
   * scale (y up, as embeddings are plotted); for obs columns in image
   * coordinates (a y column named like centroid_y) oy + (y - y0) * scale, so
   * that the cells sit as on the slide.
   */
  private view = { x0: 0, y0: 0, y1: 0, scale: 1, ox: 0, oy: 0, down: false };
  private W = 0;
  private H = 0;
  /** Per point its pixel (y * W + x), -1 if off the canvas or not a number. */
  private pix = new Int32Array(0);
  /** Points by pixel: those of pixel p are byPixel[start[p] .. start[p + 1]). */
  private start = new Int32Array(0);
  private byPixel = new Int32Array(0);
  private img: ImageData | null = null;
  private current: number | null = null;
  private marked: number[] = [];
  private hovered: number | null = null;
  private path: number[] | null = null;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private obsmCache = new Map<string, { values: Float64Array; columns: number }>();

  constructor(
    private readonly root: HTMLElement,
    private readonly host: EmbeddingHost,
  ) {
    this.base = $(root, "#emb-canvas");
    this.overlay = $(root, "#emb-overlay");
    this.tip = $(root, "#emb-tip");
    for (const id of ["#emb-source", "#emb-x", "#emb-y"]) $(root, id).addEventListener("change", (ev) => void this.load(id === "#emb-source").catch((e) => this.error(e, ev)));
    $(root, "#emb-color").addEventListener("change", () => {
      this.colorBy(($(root, "#emb-color") as HTMLSelectElement).value);
      this.draw();
    });
    $(root, "#emb-clear").addEventListener("click", () => this.clearSelection());
    this.wirePointer();
  }

  /** A new dataset: the sources it has (2-D obsm arrays, else numeric obs columns); hidden if none. */
  async open(ds: Dataset): Promise<void> {
    this.ds = ds;
    this.n = ds.nCells;
    this.obsmCache.clear();
    this.sel = null;
    this.shown = null;
    this.current = null;
    this.marked = [];
    const keys = (await ds.obsmKeys()).filter((k) => k.columns >= 2);
    if (this.ds !== ds) return;
    const numeric = this.numericObs();
    const src = $(this.root, "#emb-source") as HTMLSelectElement;
    src.innerHTML =
      keys.map((k) => `<option value="obsm:${escapeHtml(k.key)}">obsm: ${escapeHtml(k.key)} (${k.columns})</option>`).join("") +
      (numeric.length >= 2 ? '<option value="obs">obs columns</option>' : "");
    this.root.hidden = src.options.length === 0;
    if (this.root.hidden) return;
    const umap = keys.find((k) => /umap/i.test(k.key));
    src.value = umap ? `obsm:${umap.key}` : src.options[0].value;
    const cols = Object.keys(ds.obs.columns).filter((c) => c !== ds.cellIdColumn);
    const color = $(this.root, "#emb-color") as HTMLSelectElement;
    color.innerHTML = `<option value="">colour: none</option>${cols.map((c) => `<option value="${escapeHtml(c)}">colour: ${escapeHtml(c)}</option>`).join("")}`;
    color.value = cols.find((c) => this.isCategorical(c)) ?? "";
    await this.load(true);
  }

  /** Numeric obs columns other than the cellIDs. */
  private numericObs(): string[] {
    const ds = this.ds;
    if (!ds) return [];
    return Object.keys(ds.obs.columns).filter((c) => c !== ds.cellIdColumn && isNumeric(ds.obs.columns[c]));
  }

  /** Reads the chosen source's two columns (a new source: its dimension menus first). */
  private async load(newSource: boolean): Promise<void> {
    const ds = this.ds;
    if (!ds) return;
    const src = ($(this.root, "#emb-source") as HTMLSelectElement).value;
    const xSel = $(this.root, "#emb-x") as HTMLSelectElement;
    const ySel = $(this.root, "#emb-y") as HTMLSelectElement;
    const t0 = performance.now();
    let obsm: { values: Float64Array; columns: number } | undefined;
    if (src.startsWith("obsm:")) {
      const key = src.slice(5);
      obsm = this.obsmCache.get(key);
      if (!obsm) {
        this.root.dataset.state = "loading";
        obsm = await ds.obsm(key);
        if (this.ds !== ds) return; // another dataset opened meanwhile
        this.obsmCache.clear(); // one held at a time: a million rows of 50 PCs is 400 MB
        this.obsmCache.set(key, obsm);
      }
    }
    if (newSource) {
      const dims: [string, string][] = obsm ? Array.from({ length: obsm.columns }, (_, j) => [String(j), `dimension ${j + 1}`]) : this.numericObs().map((c) => [c, c]);
      const opts = (axis: string) => dims.map(([v, label]) => `<option value="${escapeHtml(v)}">${axis}: ${escapeHtml(label)}</option>`).join("");
      xSel.innerHTML = opts("x");
      ySel.innerHTML = opts("y");
      const numeric = this.numericObs();
      const cx = numeric.find((c) => c.endsWith(OBS_COLUMNS.centroidX));
      const cy = numeric.find((c) => c.endsWith(OBS_COLUMNS.centroidY));
      xSel.value = obsm ? "0" : (cx ?? numeric[0]);
      ySel.value = obsm ? "1" : (cy ?? numeric[1]);
    }
    const n = this.n;
    const xs = new Float32Array(n);
    const ys = new Float32Array(n);
    if (obsm) {
      const { values, columns } = obsm;
      const dx = Number(xSel.value);
      const dy = Number(ySel.value);
      for (let i = 0; i < n; i++) {
        xs[i] = values[i * columns + dx];
        ys[i] = values[i * columns + dy];
      }
    } else {
      // a missing value is NaN: the point is not drawn and not in the axes' range
      const cx = ds.obs.columns[xSel.value];
      const cy = ds.obs.columns[ySel.value];
      const mx = missingOf(ds.obs, xSel.value);
      const my = missingOf(ds.obs, ySel.value);
      for (let i = 0; i < n; i++) {
        xs[i] = mx(i) ? Number.NaN : Number(cx[i]);
        ys[i] = my(i) ? Number.NaN : Number(cy[i]);
      }
    }
    this.xs = xs;
    this.ys = ys;
    this.view.down = !obsm && /(^|_)y$/i.test(ySel.value);
    this.sel = null;
    this.colorBy(($(this.root, "#emb-color") as HTMLSelectElement).value);
    this.fit();
    this.draw();
    this.root.dataset.state = "ready";
    this.root.dataset.loadMs = String(Math.round(performance.now() - t0));
    this.host.selectionChanged();
  }

  private error(err: unknown, _ev: Event): void {
    this.root.dataset.state = "error";
    $(this.root, "#emb-count").textContent = err instanceof Error ? err.message : String(err);
  }

  /** Whether an obs column is coloured as categories: strings, and numbers with few distinct present values. */
  private isCategorical(name: string): boolean {
    const obs = (this.ds as Dataset).obs;
    const c = obs.columns[name];
    if (!isNumeric(c)) return true;
    const isMissing = missingOf(obs, name);
    const seen = new Set<number>();
    for (let i = 0; i < c.length; i++) {
      if (isMissing(i)) continue;
      seen.add(Number(c[i]));
      if (seen.size > MAX_CATEGORIES) return false;
    }
    return true;
  }

  /** Colours every point by an obs column: categories from the palette, numbers on the ramp; the legend says which. */
  colorBy(name: string): void {
    const t0 = performance.now();
    const ds = this.ds;
    const n = this.n;
    const colors = new Uint32Array(n);
    const legend = $(this.root, "#emb-legend");
    const c = name && ds ? ds.obs.columns[name] : undefined;
    const key = (v: string, rgb: Rgb, count: number, na = false) =>
      `<span class="key" data-value="${escapeHtml(v)}"${na ? " data-na" : ""} data-color="${rgb.join(",")}"><i style="background:rgb(${rgb.join(",")})"></i>${escapeHtml(v)} <span class="dim">${count}</span></span>`;
    if (!c || !ds) {
      colors.fill(PLAIN);
      legend.innerHTML = "";
    } else if (this.isCategorical(name)) {
      const isMissing = missingOf(ds.obs, name);
      const counts = new Map<string, number>();
      const keys: (string | null)[] = new Array(n);
      let missing = 0;
      for (let i = 0; i < n; i++) {
        if (isMissing(i)) {
          keys[i] = null;
          missing++;
          continue;
        }
        const k = String(c[i]);
        keys[i] = k;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const values = [...counts.keys()].sort(isNumeric(c) ? (a, b) => Number(a) - Number(b) : undefined);
      const code = new Map(values.map((v, i) => [v, pack(PALETTE[i % PALETTE.length])]));
      for (let i = 0; i < n; i++) colors[i] = keys[i] === null ? NA_PACKED : (code.get(keys[i] as string) as number);
      legend.innerHTML =
        values
          .slice(0, 40)
          .map((v, i) => key(v, PALETTE[i % PALETTE.length], counts.get(v) as number))
          .join("") + (missing ? key(NA, NA_COLOR, missing, true) : "");
    } else {
      const isMissing = missingOf(ds.obs, name);
      let lo = Infinity;
      let hi = -Infinity;
      let missing = 0;
      for (let i = 0; i < n; i++) {
        if (isMissing(i)) {
          missing++;
          continue;
        }
        const v = Number(c[i]);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const w = hi > lo ? hi - lo : 1;
      // 256 levels: one ramp look-up a point
      const lut = Uint32Array.from({ length: 256 }, (_, k) => pack(ramp(k / 255)));
      for (let i = 0; i < n; i++) colors[i] = isMissing(i) ? NA_PACKED : lut[Math.round(((Number(c[i]) - lo) / w) * 255)];
      const stops = RAMP.map((s) => `rgb(${s.join(",")})`).join(",");
      legend.innerHTML =
        `<span class="dim">${fmt(lo)}</span><span class="ramp" style="background:linear-gradient(to right,${stops})"></span><span class="dim">${fmt(hi)}</span>` +
        (missing ? key(NA, NA_COLOR, missing, true) : "");
    }
    this.colors = colors;
    this.root.dataset.colorBy = name;
    this.root.dataset.colorMs = String(Math.round(performance.now() - t0));
  }

  /** Fits the data's bounding box in the canvas (aspect kept, centred) and bins the points by pixel. */
  private fit(): void {
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(this.base.clientWidth * dpr));
    const H = Math.max(1, Math.round(this.base.clientHeight * dpr));
    for (const c of [this.base, this.overlay]) {
      c.width = W;
      c.height = H;
    }
    this.W = W;
    this.H = H;
    this.img = new ImageData(W, H);
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    const { xs, ys, n } = this;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      const y = ys[i];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!(x1 >= x0)) [x0, x1, y0, y1] = [0, 1, 0, 1];
    const scale = Math.min((W - 2 * PAD) / (x1 - x0 || 1), (H - 2 * PAD) / (y1 - y0 || 1));
    const ox = PAD + (W - 2 * PAD - (x1 - x0) * scale) / 2;
    const oy = PAD + (H - 2 * PAD - (y1 - y0) * scale) / 2;
    const down = this.view.down;
    this.view = { x0, y0, y1, scale, ox, oy, down };
    const pix = new Int32Array(n);
    const count = new Int32Array(W * H + 1);
    for (let i = 0; i < n; i++) {
      const px = Math.floor(ox + (xs[i] - x0) * scale);
      const py = Math.floor(oy + (down ? ys[i] - y0 : y1 - ys[i]) * scale);
      const p = px >= 0 && px < W && py >= 0 && py < H ? py * W + px : -1; // NaN fails every test
      pix[i] = p;
      if (p >= 0) count[p + 1]++;
    }
    for (let p = 0; p < W * H; p++) count[p + 1] += count[p];
    const at = count.slice(0, W * H);
    const byPixel = new Int32Array(count[W * H]);
    for (let i = 0; i < n; i++) if (pix[i] >= 0) byPixel[at[pix[i]]++] = i;
    this.pix = pix;
    this.start = count;
    this.byPixel = byPixel;
  }

  /** Where a row's point is on the canvas. */
  project(row: number): { x: number; y: number } {
    const v = this.view;
    return { x: v.ox + (this.xs[row] - v.x0) * v.scale, y: v.oy + (v.down ? this.ys[row] - v.y0 : v.y1 - this.ys[row]) * v.scale };
  }

  /** Draws every point: those the filter or the selection leave out dim and underneath. */
  draw(): void {
    const img = this.img;
    if (!img || this.root.hidden) return;
    const t0 = performance.now();
    const buf = new Uint32Array(img.data.buffer);
    buf.fill(BACKGROUND);
    const { pix, colors, n, W } = this;
    const dot = n > 200_000 ? 1 : n > 20_000 ? 2 : 3;
    const { shown, sel } = this;
    const put = (p: number, c: number) => {
      for (let dy = 0; dy < dot; dy++) buf.fill(c, p + dy * W, p + dy * W + dot);
    };
    // the points left out first (dim, underneath), then the others over them
    if (shown || sel) {
      for (let i = 0; i < n; i++) {
        const p = pix[i];
        if (p < 0 || ((!shown || shown[i] === 1) && (!sel || sel[i] === 1))) continue;
        if (dot === 1) buf[p] = DIM;
        else put(this.clampDot(p, dot), DIM);
      }
    }
    for (let i = 0; i < n; i++) {
      const p = pix[i];
      if (p < 0 || (shown && shown[i] !== 1) || (sel && sel[i] !== 1)) continue;
      if (dot === 1) buf[p] = colors[i];
      else put(this.clampDot(p, dot), colors[i]);
    }
    (this.base.getContext("2d") as CanvasRenderingContext2D).putImageData(img, 0, 0);
    this.root.dataset.drawMs = String(Math.round(performance.now() - t0));
    this.drawOverlay();
  }

  /** A dot's top-left pixel, kept inside the canvas. */
  private clampDot(p: number, dot: number): number {
    if (dot === 1) return p;
    const x = Math.min(p % this.W, this.W - dot);
    const y = Math.min(Math.floor(p / this.W), this.H - dot);
    return y * this.W + x;
  }

  private drawOverlay(): void {
    const ctx = this.overlay.getContext("2d") as CanvasRenderingContext2D;
    ctx.clearRect(0, 0, this.W, this.H);
    const ring = (row: number, r: number, color: string, width: number) => {
      const { x, y } = this.project(row);
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.stroke();
    };
    for (const r of this.marked.slice(0, 500)) ring(r, 5, "#ffcc33", 1.5);
    if (this.current !== null) ring(this.current, 7, "#ffffff", 2);
    if (this.hovered !== null) ring(this.hovered, 4, "#4fb3ff", 2);
    if (this.path && this.path.length >= 4) {
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(this.path[0], this.path[1]);
      for (let k = 2; k < this.path.length; k += 2) ctx.lineTo(this.path[k], this.path[k + 1]);
      ctx.closePath();
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** The cell in the detail (ringed white) and the selected cells (ringed yellow). */
  mark(current: number | null, selected: Iterable<number>): void {
    if (this.root.hidden) return;
    this.current = current;
    this.marked = [...selected];
    this.root.dataset.current = current === null ? "" : String(this.host.cellId(current));
    this.drawOverlay();
  }

  /** The rows the obs filter shows: the others are drawn dim. */
  setShown(rows: number[]): void {
    if (this.root.hidden) return;
    if (rows.length === this.n) {
      if (this.shown === null) return; // nothing to draw again (a lasso refreshes the grid through here)
      this.shown = null;
    } else {
      this.shown = new Uint8Array(this.n);
      for (const r of rows) this.shown[r] = 1;
    }
    this.draw();
  }

  /** Of these rows, those in the lasso / box (all if there is no selection). */
  filter(rows: number[]): number[] {
    const sel = this.sel;
    if (!sel || this.root.hidden) return rows;
    if (rows.length === this.n) return this.selRows.slice(); // no obs filter: every row, in order
    return rows.filter((r) => sel[r] === 1);
  }

  clearSelection(): void {
    this.sel = null;
    this.count(null);
    this.draw();
    this.host.selectionChanged();
  }

  private count(k: number | null): void {
    const el = $(this.root, "#emb-count");
    el.textContent = k === null ? "" : `${k.toLocaleString("en-US")} in the selection`;
    this.root.dataset.selected = k === null ? "" : String(k);
  }

  /** The nearest point within reach of a canvas position, or null. */
  nearest(cx: number, cy: number): number | null {
    let best: number | null = null;
    let bd = REACH * REACH;
    const { W, H, start, byPixel } = this;
    for (let py = Math.max(0, Math.floor(cy - REACH)); py <= Math.min(H - 1, Math.floor(cy + REACH)); py++) {
      for (let px = Math.max(0, Math.floor(cx - REACH)); px <= Math.min(W - 1, Math.floor(cx + REACH)); px++) {
        const p = py * W + px;
        for (let k = start[p]; k < start[p + 1]; k++) {
          const i = byPixel[k];
          const { x, y } = this.project(i);
          const d = (x - cx) ** 2 + (y - cy) ** 2;
          if (d < bd || (d === bd && best !== null && i < best)) {
            bd = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  /**
   * Selects the points inside a polygon (canvas coordinates, x y pairs). The
   * polygon is filled into a mask with its edge stroked 4 px wide: a point in
   * a pixel clear of the edge takes that pixel's side, one near the edge is
   * tested exactly.
   */
  select(poly: Float64Array): number {
    const { W, H, n, pix } = this;
    const mc = document.createElement("canvas");
    mc.width = W;
    mc.height = H;
    const ctx = mc.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
    ctx.beginPath();
    ctx.moveTo(poly[0], poly[1]);
    for (let k = 2; k < poly.length; k += 2) ctx.lineTo(poly[k], poly[k + 1]);
    ctx.closePath();
    ctx.fillStyle = "#ff0000";
    ctx.fill("evenodd");
    ctx.strokeStyle = "#00ff00";
    ctx.lineWidth = 4;
    ctx.stroke();
    const m = ctx.getImageData(0, 0, W, H).data;
    const sel = new Uint8Array(n);
    const selRows: number[] = [];
    let k = 0;
    for (let i = 0; i < n; i++) {
      const p = pix[i];
      if (p < 0) continue;
      let inside: boolean;
      if (m[p * 4 + 1] > 0) {
        const { x, y } = this.project(i);
        inside = insidePolygon(poly, x, y);
      } else inside = m[p * 4] >= 128;
      if (inside) {
        sel[i] = 1;
        selRows.push(i);
        k++;
      }
    }
    this.sel = sel;
    this.selRows = selRows;
    this.count(k);
    this.draw();
    return k;
  }

  private wirePointer(): void {
    const ov = this.overlay;
    const at = (ev: PointerEvent) => {
      const r = ov.getBoundingClientRect();
      return { x: ((ev.clientX - r.left) * this.W) / r.width, y: ((ev.clientY - r.top) * this.H) / r.height };
    };
    let box = false;
    let from = { x: 0, y: 0 };
    ov.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      ov.setPointerCapture(ev.pointerId);
      from = at(ev);
      box = ev.shiftKey;
      this.path = [from.x, from.y];
      this.hovered = null;
      void this.showTip(null);
    });
    ov.addEventListener("pointermove", (ev) => {
      const p = at(ev);
      if (this.path) {
        if (box) this.path = [from.x, from.y, p.x, from.y, p.x, p.y, from.x, p.y];
        else this.path.push(p.x, p.y);
        this.drawOverlay();
        return;
      }
      const row = this.nearest(p.x, p.y);
      if (row !== this.hovered) {
        this.hovered = row;
        this.drawOverlay();
        void this.showTip(row, ev);
      } else if (row !== null) this.placeTip(ev);
    });
    ov.addEventListener("pointerleave", () => {
      if (this.path) return;
      this.hovered = null;
      this.drawOverlay();
      void this.showTip(null);
    });
    ov.addEventListener("pointerup", (ev) => {
      const path = this.path;
      this.path = null;
      if (!path) return;
      const p = at(ev);
      let w = 0;
      for (let k = 0; k < path.length; k += 2) w = Math.max(w, Math.abs(path[k] - from.x), Math.abs(path[k + 1] - from.y));
      if (w < 3) {
        // a click: open the nearest cell
        this.drawOverlay();
        const row = this.nearest(p.x, p.y);
        if (row !== null) this.host.pick(row);
        return;
      }
      const t0 = performance.now();
      const poly = Float64Array.from(box ? [from.x, from.y, p.x, from.y, p.x, p.y, from.x, p.y] : path);
      this.select(poly);
      // what the selection itself costs (mask, test, draw), then with the grid filtered and laid out
      this.root.dataset.selectMs = String(Math.round(performance.now() - t0));
      this.host.selectionChanged();
      this.root.dataset.selectRefreshMs = String(Math.round(performance.now() - t0));
    });
  }

  private async showTip(row: number | null, ev?: PointerEvent): Promise<void> {
    const tip = this.tip;
    if (row === null) {
      tip.hidden = true;
      tip.dataset.cellId = "";
      return;
    }
    const ds = this.ds;
    const name = ($(this.root, "#emb-color") as HTMLSelectElement).value;
    const c = name && ds ? ds.obs.columns[name] : undefined;
    tip.hidden = false;
    tip.dataset.cellId = String(this.host.cellId(row));
    tip.innerHTML = `<div class="tip-img"></div><div>cell ${this.host.cellId(row)}</div>${c && ds ? `<div class="dim">${escapeHtml(name)}: ${escapeHtml(showValue(ds.obs, name, row))}</div>` : ""}`;
    if (ev) this.placeTip(ev);
    const canvas = await this.host.thumb(row).catch(() => null);
    if (canvas && this.hovered === row) {
      tip.querySelector(".tip-img")?.replaceChildren(canvas);
      tip.dataset.drawn = String(this.host.cellId(row));
    }
  }

  private placeTip(ev: PointerEvent): void {
    const r = this.root.querySelector("#emb-plot")?.getBoundingClientRect();
    if (!r) return;
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    this.tip.style.left = `${x + 14 + 120 > r.width ? x - 134 : x + 14}px`;
    this.tip.style.top = `${Math.max(0, y - 20)}px`;
  }
}
