// The virtualised grid: lines (group headings and rows of thumbnails) laid
// out at fixed heights; only the lines in view (plus one screen ahead) are in
// the DOM, and only their cells are read. Each row of thumbnails is one
// canvas, drawn from the float32 stacks.
import { plural } from "./cache.js";
import { type Display, drawCell } from "./render.js";

export interface Line {
  top: number;
  height: number;
  label?: string;
  count?: number;
  rows?: number[];
}

export interface GridSource {
  size: number;
  display(): Display;
  /** A cell's stack if held (data and the offset of its first plane). */
  cell(row: number): { data: Float32Array; offset: number } | undefined;
  /**
   * Reads these rows (not held yet); resolves when they are held. `signal`
   * aborts once they are out of view: a read not started by then is dropped.
   */
  fetch(rows: number[], signal: AbortSignal): Promise<void>;
  /** A read of these rows failed (not an abort). */
  onError(err: unknown, rows: number[]): void;
  /** Whether the last read of a row failed (its tile says so). */
  failed(row: number): boolean;
  cellId(row: number): number;
  isSelected(row: number): boolean;
  /** The cell shown in the detail panel. */
  isCurrent(row: number): boolean;
  onClick(row: number, ev: MouseEvent): void;
  /** A class label drawn on the tile (its text and colour), if the cell has one. */
  badge?(row: number): { text: string; color: string } | undefined;
}

export const GAP = 6;
/** Height of the cellID line under a tile. */
export const LABEL = 15;
const HEAD = 30;
/** Reads in flight at once: a scroll's stale reads cannot pile up ahead of the rows in view. */
const IN_FLIGHT = 6;

export class Grid {
  private lines: Line[] = [];
  private mounted = new Map<number, HTMLElement>();
  private readonly space: HTMLElement;
  private pending = new Set<number>();
  private timer = 0;
  private tile = 96;
  private cols = 1;
  private groups: { label: string; rows: number[] }[] = [];
  private scratch: ImageData | null = null;
  private scratchCanvas: HTMLCanvasElement | null = null;
  /** The rows of the lines in view (their cells are not dropped from the cache). */
  private viewRows = new Set<number>();
  /** Reads waiting for a slot (each a line's rows), for the current view only. */
  private queue: number[][] = [];
  private running = 0;
  /** Aborted when the view moves: the reads asked for the old view. */
  private view = new AbortController();

  constructor(
    private readonly scroller: HTMLElement,
    private readonly src: GridSource,
  ) {
    this.space = scroller.querySelector("#grid-space") as HTMLElement;
    scroller.addEventListener("scroll", () => this.update());
    new ResizeObserver(() => this.layout()).observe(scroller);
  }

  setGroups(groups: { label: string; rows: number[] }[]): void {
    this.groups = groups;
    this.scroller.scrollTop = 0;
    this.layout();
  }

  private layout(): void {
    const s = this.src.size;
    this.tile = s * Math.max(1, Math.round(96 / s));
    const width = this.scroller.clientWidth - 24;
    this.cols = Math.max(1, Math.floor((width + GAP) / (this.tile + GAP)));
    const lh = this.tile + LABEL + GAP;
    this.lines = [];
    let top = 0;
    for (const g of this.groups) {
      if (g.label !== "") {
        this.lines.push({ top, height: HEAD, label: g.label, count: g.rows.length });
        top += HEAD;
      }
      for (let i = 0; i < g.rows.length; i += this.cols) {
        this.lines.push({ top, height: lh, rows: g.rows.slice(i, i + this.cols) });
        top += lh;
      }
    }
    this.space.style.height = `${top + 8}px`;
    for (const el of this.mounted.values()) el.remove();
    this.mounted.clear();
    this.update();
  }

  /** Redraws the mounted lines (after a display change or a selection). */
  redraw(): void {
    for (const [i, el] of this.mounted) if (this.lines[i].rows) this.drawLine(this.lines[i], el.firstChild as HTMLCanvasElement);
  }

  /** The lines in view, plus `ahead` screens below and half of it above. */
  private visible(ahead: number): [number, number] {
    const h = this.scroller.clientHeight;
    const y0 = this.scroller.scrollTop - (h * ahead) / 2;
    const y1 = this.scroller.scrollTop + h + h * ahead;
    let lo = 0;
    let hi = this.lines.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (this.lines[m].top + this.lines[m].height <= y0) lo = m + 1;
      else hi = m;
    }
    let end = lo;
    while (end < this.lines.length && this.lines[end].top < y1) end++;
    return [lo, end];
  }

  /** Whether a row is in a line in view. */
  inView(row: number): boolean {
    return this.viewRows.has(row);
  }

  private update(): void {
    const [a, b] = this.visible(0);
    // the view moved: reads queued for the old one are dropped
    this.view.abort();
    this.view = new AbortController();
    this.queue = [];
    this.viewRows = new Set();
    for (let i = a; i < b; i++) for (const r of this.lines[i].rows ?? []) this.viewRows.add(r);
    for (const [i, el] of this.mounted) {
      if (i < a || i >= b) {
        el.remove();
        this.mounted.delete(i);
      }
    }
    for (let i = a; i < b; i++) if (!this.mounted.has(i)) this.mount(i);
    // read once scrolling pauses: a fast scroll past thousands of cells reads none of them
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.load(), 80);
  }

  private mount(i: number): void {
    const line = this.lines[i];
    const el = document.createElement("div");
    el.style.top = `${line.top}px`;
    if (line.label !== undefined) {
      el.className = "group-head";
      el.innerHTML = `${escapeHtml(line.label)} <span>${plural(line.count ?? 0, "cell")}</span>`;
    } else {
      el.className = "line";
      const rows = line.rows ?? [];
      el.dataset.cellIds = rows.map((r) => this.src.cellId(r)).join(",");
      const c = document.createElement("canvas");
      c.width = rows.length * (this.tile + GAP) - GAP;
      c.height = this.tile + LABEL;
      c.addEventListener("click", (ev) => {
        const col = Math.floor(ev.offsetX / (this.tile + GAP));
        if (col < rows.length && ev.offsetX - col * (this.tile + GAP) < this.tile) this.src.onClick(rows[col], ev);
      });
      el.appendChild(c);
      this.drawLine(line, c);
    }
    this.space.appendChild(el);
    this.mounted.set(i, el);
  }

  /** Reads the cells in view not held yet, a line per read, top line first. */
  private load(): void {
    const [a, b] = this.visible(0);
    this.queue = [];
    for (let i = a; i < b; i++) {
      const want = (this.lines[i].rows ?? []).filter((r) => !this.src.cell(r) && !this.pending.has(r));
      if (want.length) this.queue.push(want);
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < IN_FLIGHT && this.queue.length) {
      const want = this.queue.shift() as number[];
      const signal = this.view.signal;
      this.running++;
      for (const r of want) this.pending.add(r);
      this.src
        .fetch(want, signal)
        .then(() => this.redraw())
        .catch((err) => {
          if (!signal.aborted || (err as Error)?.name !== "AbortError") {
            this.src.onError(err, want);
            this.redraw();
          }
        })
        .finally(() => {
          for (const r of want) this.pending.delete(r);
          this.running--;
          this.pump();
        });
    }
  }

  private drawLine(line: Line, c: HTMLCanvasElement): void {
    const ctx = c.getContext("2d");
    if (!ctx) return;
    const s = this.src.size;
    const d = this.src.display();
    if (!this.scratch || this.scratch.width !== s) {
      this.scratch = new ImageData(s, s);
      this.scratchCanvas = document.createElement("canvas");
      this.scratchCanvas.width = s;
      this.scratchCanvas.height = s;
    }
    const sc = this.scratchCanvas as HTMLCanvasElement;
    const sctx = sc.getContext("2d") as CanvasRenderingContext2D;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.imageSmoothingEnabled = false;
    ctx.font = "11px ui-monospace, monospace";
    ctx.textBaseline = "top";
    let all = true;
    (line.rows ?? []).forEach((r, k) => {
      const x = k * (this.tile + GAP);
      const held = this.src.cell(r);
      if (held) {
        drawCell(held.data, held.offset, s, d, this.scratch?.data as Uint8ClampedArray, s, 0, 0);
        sctx.putImageData(this.scratch as ImageData, 0, 0);
        ctx.drawImage(sc, x, 0, this.tile, this.tile);
      } else {
        all = false;
        const failed = this.src.failed(r);
        ctx.fillStyle = failed ? "#3a1d22" : "#1c2127";
        ctx.fillRect(x, 0, this.tile, this.tile);
        if (failed) {
          // a read that failed: a cross on the tile (the reason is in the status line)
          ctx.strokeStyle = "#d05060";
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.moveTo(x + this.tile * 0.35, this.tile * 0.35);
          ctx.lineTo(x + this.tile * 0.65, this.tile * 0.65);
          ctx.moveTo(x + this.tile * 0.65, this.tile * 0.35);
          ctx.lineTo(x + this.tile * 0.35, this.tile * 0.65);
          ctx.stroke();
        }
      }
      const sel = this.src.isSelected(r);
      if (sel || this.src.isCurrent(r)) {
        ctx.strokeStyle = sel ? "#ffcc33" : "#4fb3ff";
        ctx.lineWidth = 3;
        ctx.strokeRect(x + 1.5, 1.5, this.tile - 3, this.tile - 3);
      }
      ctx.fillStyle = sel ? "#ffcc33" : "#8893a0";
      ctx.fillText(String(this.src.cellId(r)), x + 2, this.tile + 2);
      const badge = this.src.badge?.(r);
      if (badge) {
        // the class in its colour along the tile's lower edge
        const w = Math.min(this.tile, ctx.measureText(badge.text).width + 6);
        ctx.fillStyle = badge.color;
        ctx.fillRect(x, this.tile - 14, w, 14);
        ctx.fillStyle = "#000";
        ctx.fillText(badge.text, x + 3, this.tile - 12, this.tile - 6);
      }
    });
    c.dataset.drawn = all ? "1" : "0"; // every cell of the line drawn (tests wait on it)
  }

  /** Where a row's tile is on the page (for tests and keyboard use). */
  tileOf(row: number): { line: number; col: number } | undefined {
    for (let i = 0; i < this.lines.length; i++) {
      const col = this.lines[i].rows?.indexOf(row) ?? -1;
      if (col >= 0) return { line: i, col };
    }
    return undefined;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}
