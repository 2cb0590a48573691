// The cells in their slide: with `?slide=URL` (an OME-TIFF, or an OME-Zarr
// directory read by ome-zarr.ts; `cellfolio view --slide` serves one and adds
// it to the URL), an overview of the slide with
// every cell's centroid (from obs centroid_y / centroid_x); a click on a
// centroid opens that cell, and the detail shows the crop's place in the
// slide at full resolution. Only windows are read, by HTTP range: the rows of
// the window for an uncompressed stripped page (every k-th row for the
// overview), else the strips / tiles geotiff needs for it.
import { OBS_COLUMNS } from "@cellfolio/format";
import type { Dataset } from "@cellfolio/lazy";
import { fromUrl, type GeoTIFF, GeoTIFFImage } from "geotiff";
import { addJpeg2000 } from "./jpeg2000.js";
import { OmeZarrSlide, type Pixels } from "./ome-zarr.js";
import "./slide.css";

/** What the slide view needs of the page. */
export interface SlideHost {
  open(row: number): void;
  status(msg: string, error?: boolean): void;
}

/** The overview's longest side, in slide pixels read (a strided read of larger slides). */
const OVERVIEW_MAX = 512;
/** The detail window: this many crop sizes wide, at full resolution. */
const CONTEXT = 4;
const MARK = "#ff2d55";

interface Raw {
  offsets: number[];
  counts: number[];
  rowsPerStrip: number;
  spp: number;
  bytes: number;
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;

export class SlideView {
  private url: string | null;
  private tiff: GeoTIFF | null = null;
  private page: GeoTIFFImage | null = null;
  /** The TIFF's reduced levels of page 0 (OME-TIFF SubIFDs, or smaller pages of the main chain), largest first: the overview reads the smallest that is big enough. */
  private levels: GeoTIFFImage[] = [];
  private raw: Raw | null = null;
  private zarr: OmeZarrSlide | null = null;
  private width = 0;
  private height = 0;
  /** Overview pixels per slide pixel. */
  private scale = 1;
  private hi = 1;
  private ds: Dataset | null = null;
  private cy: ArrayLike<number> = [];
  private cx: ArrayLike<number> = [];
  private crop = 0;
  private detailToken = 0;

  constructor(private readonly host: SlideHost) {
    const given = new URLSearchParams(location.search).get("slide");
    this.url = given ? new URL(given, location.href).href : null;
    if (!this.url) return;
    const sec = document.createElement("section");
    sec.id = "slide";
    sec.innerHTML = `<h2>Slide</h2><div id="slide-name" class="dim"></div><canvas id="slide-overview" width="1" height="1"></canvas><div class="hint">click a cell's dot to open it</div>`;
    ($("summary") ?? $("side")).after(sec);
    const fig = document.createElement("figure");
    fig.id = "detail-slide";
    fig.innerHTML = `<canvas></canvas><figcaption>in the slide (full resolution)</figcaption>`;
    fig.hidden = true;
    $("detail-composite").after(fig);
    $("slide-overview").addEventListener("click", (ev) => this.clicked(ev));
    // the detail names its cell: show where it lies
    new MutationObserver(() => void this.detail().catch((e) => this.fail(e))).observe($("detail"), { attributes: true, attributeFilter: ["data-cell-id"] });
  }

  /** A dataset opened: its centroids on the overview (read once per slide). */
  async attach(ds: Dataset): Promise<void> {
    if (!this.url) return;
    this.ds = ds;
    const obs = ds.obs.columns;
    const cy = obs[OBS_COLUMNS.centroidY];
    const cx = obs[OBS_COLUMNS.centroidX];
    if (!cy || !cx || Array.isArray(cy) || Array.isArray(cx)) {
      $("slide-name").textContent = "the dataset has no centroid_y / centroid_x in obs";
      return;
    }
    this.cy = Float64Array.from(cy as ArrayLike<number | bigint>, Number);
    this.cx = Float64Array.from(cx as ArrayLike<number | bigint>, Number);
    this.crop = ds.imageSize;
    try {
      if (!this.tiff && !this.zarr) await this.load();
      this.drawOverview();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    this.host.status(`slide ${this.url}: ${(e as Error).message}`, true);
    console.error(e);
  }

  private async load(): Promise<void> {
    if (/\.zarr\/?$/i.test(new URL(this.url as string).pathname)) {
      this.zarr = await OmeZarrSlide.open(this.url as string);
      this.width = this.zarr.width;
      this.height = this.zarr.height;
      this.named();
      return;
    }
    addJpeg2000();
    const tiff = await fromUrl(this.url as string, { allowFullFile: false });
    const page = await tiff.getImage(0);
    this.tiff = tiff;
    this.page = page;
    this.width = page.getWidth();
    this.height = page.getHeight();
    const fd = page.fileDirectory;
    this.levels = await reducedLevels(tiff, page);
    const compression = fd.getValue("Compression") ?? 1;
    const predictor = fd.hasTag("Predictor") ? Number((fd.getValue as (t: string) => unknown)("Predictor")) : 1;
    const bits = page.getBitsPerSample();
    const format = page.getSampleFormat();
    const littleEndian = (tiff as unknown as { littleEndian: boolean }).littleEndian;
    if (compression === 1 && predictor === 1 && fd.hasTag("StripOffsets") && littleEndian && (bits === 8 || bits === 16) && format === 1) {
      this.raw = {
        offsets: Array.from((await fd.loadValue("StripOffsets")) as ArrayLike<number | bigint>, Number),
        counts: Array.from((await fd.loadValue("StripByteCounts")) as ArrayLike<number | bigint>, Number),
        rowsPerStrip: Math.min(Number(fd.getValue("RowsPerStrip") ?? this.height), this.height),
        spp: Number(fd.getValue("PlanarConfiguration") ?? 1) === 2 ? 1 : page.getSamplesPerPixel(),
        bytes: bits / 8,
      };
    }
    this.named();
  }

  private named(): void {
    const name = new URL(this.url as string).pathname.replace(/\/+$/, "").split("/").pop() ?? "";
    $("slide-name").textContent = `${decodeURIComponent(name)} · ${this.width} × ${this.height} px`;
  }

  /** Rows y0, y0+step, ... < y1 of one uncompressed page, columns x0..x1 step `step`: one range request a run of rows. */
  private async readRaw(r: Raw, x0: number, y0: number, x1: number, y1: number, step: number): Promise<Pixels> {
    const w = Math.ceil((x1 - x0) / step);
    const h = Math.ceil((y1 - y0) / step);
    const out = new Float32Array(w * h);
    const rowBytes = this.width * r.spp * r.bytes;
    // consecutive rows in one request where every row is wanted; one request a row where strided
    const runs: [number, number][] = [];
    for (let y = y0; y < y1; ) {
      const strip = Math.floor(y / r.rowsPerStrip);
      const end = step === 1 ? Math.min(y1, (strip + 1) * r.rowsPerStrip) : y + 1;
      runs.push([y, end]);
      y = step === 1 ? end : y + step;
    }
    await Promise.all(
      runs.map(async ([a, b]) => {
        const strip = Math.floor(a / r.rowsPerStrip);
        const start = r.offsets[strip] + (a - strip * r.rowsPerStrip) * rowBytes + x0 * r.spp * r.bytes;
        const length = (b - a - 1) * rowBytes + (x1 - x0) * r.spp * r.bytes;
        const res = await fetch(this.url as string, { headers: { Range: `bytes=${start}-${start + length - 1}` } });
        if (res.status !== 206) throw new Error(`HTTP ${res.status} for a range of ${this.url} (the server must answer Range requests)`);
        const buf = new Uint8Array(await res.arrayBuffer());
        const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        for (let y = a; y < b; y++) {
          const oy = (y - y0) / step;
          const base = (y - a) * rowBytes;
          for (let i = 0; i < w; i++) {
            const p = base + i * step * r.spp * r.bytes;
            out[oy * w + i] = r.bytes === 1 ? buf[p] : dv.getUint16(p, true);
          }
        }
      }),
    );
    return { data: out, w, h };
  }

  /** A window of the first channel, every `step`-th pixel. */
  private async read(x0: number, y0: number, x1: number, y1: number, step: number): Promise<Pixels> {
    if (this.zarr) return this.zarr.read(x0, y0, x1, y1, step);
    const w = Math.ceil((x1 - x0) / step);
    const h = Math.ceil((y1 - y0) / step);
    // the whole slide reduced: from the smallest pyramid level at least that size, not every full-resolution tile
    const whole = x0 === 0 && y0 === 0 && x1 === this.width && y1 === this.height;
    const level = whole ? [...this.levels].reverse().find((l) => l.getWidth() >= w && l.getHeight() >= h) : undefined;
    if (level) {
      const r = (await level.readRasters({ samples: [0], width: w, height: h, interleave: false })) as unknown as ArrayLike<number>[];
      return { data: Float32Array.from(r[0]), w, h };
    }
    if (this.raw) return this.readRaw(this.raw, x0, y0, x1, y1, step);
    const page = this.page as GeoTIFFImage;
    const r = (await page.readRasters({ window: [x0, y0, x1, y1], samples: [0], width: w, height: h, interleave: false })) as unknown as ArrayLike<number>[];
    return { data: Float32Array.from(r[0]), w, h };
  }

  private drawOverview(): void {
    void (async () => {
      const step = Math.max(1, Math.ceil(Math.max(this.width, this.height) / OVERVIEW_MAX));
      // an OME-Zarr's pyramid has the overview; a TIFF's first page is read strided
      const px = this.zarr ? await this.zarr.overview(OVERVIEW_MAX) : await this.read(0, 0, this.width, this.height, step);
      // display range: 0 to the 99.5th percentile of what the overview shows
      const sorted = Float32Array.from(px.data).sort();
      this.hi = Math.max(1, sorted[Math.floor(0.995 * (sorted.length - 1))]);
      const canvas = $("slide-overview") as HTMLCanvasElement;
      canvas.width = px.w;
      canvas.height = px.h;
      this.scale = px.w / this.width;
      const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
      ctx.putImageData(this.grey(px), 0, 0);
      ctx.fillStyle = MARK;
      for (let r = 0; r < this.cy.length; r++) {
        ctx.beginPath();
        ctx.arc((this.cx[r] + 0.5) * this.scale, (this.cy[r] + 0.5) * this.scale, 2, 0, 2 * Math.PI);
        ctx.fill();
      }
      canvas.dataset.scale = String(this.scale);
      canvas.dataset.drawn = "1";
    })().catch((e) => this.fail(e));
  }

  private grey(px: Pixels): ImageData {
    const img = new ImageData(px.w, px.h);
    const k = 255 / this.hi;
    for (let i = 0; i < px.data.length; i++) {
      const v = Math.min(255, px.data[i] * k);
      img.data[i * 4] = v;
      img.data[i * 4 + 1] = v;
      img.data[i * 4 + 2] = v;
      img.data[i * 4 + 3] = 255;
    }
    return img;
  }

  /** The cell whose dot is nearest the click (within 6 screen pixels) opens. */
  private clicked(ev: MouseEvent): void {
    const canvas = ev.currentTarget as HTMLCanvasElement;
    const k = canvas.width / canvas.clientWidth; // canvas pixels per CSS pixel
    const x = (ev.offsetX * k) / this.scale - 0.5;
    const y = (ev.offsetY * k) / this.scale - 0.5;
    let best = -1;
    let bestD = ((6 * k) / this.scale) ** 2;
    for (let r = 0; r < this.cy.length; r++) {
      const d = (this.cx[r] - x) ** 2 + (this.cy[r] - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = r;
      }
    }
    if (best >= 0) this.host.open(best);
  }

  /** The detail's cell in the slide: a window CONTEXT crops wide around it, the crop outlined. */
  private async detail(): Promise<void> {
    const fig = document.getElementById("detail-slide");
    const id = Number($("detail").dataset.cellId);
    if (!fig || !this.ds || !(this.tiff || this.zarr) || !Number.isFinite(id)) return;
    const row = this.ds.cellIds.indexOf(id);
    if (row < 0) return;
    const token = ++this.detailToken;
    const S = this.crop;
    // the crop as extract cut it: [round(c) - S/2, round(c) + S/2), numpy's rounding (half to even)
    const cy = roundHalfEven(this.cy[row]);
    const cx = roundHalfEven(this.cx[row]);
    const half = (CONTEXT * S) / 2;
    const x0 = Math.max(0, cx - half);
    const y0 = Math.max(0, cy - half);
    const x1 = Math.min(this.width, cx + half);
    const y1 = Math.min(this.height, cy + half);
    const px = await this.read(x0, y0, x1, y1, 1);
    if (token !== this.detailToken) return; // another cell opened meanwhile
    const canvas = fig.querySelector("canvas") as HTMLCanvasElement;
    canvas.width = px.w;
    canvas.height = px.h;
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    ctx.putImageData(this.grey(px), 0, 0);
    ctx.strokeStyle = MARK;
    ctx.lineWidth = 1;
    ctx.strokeRect(cx - S / 2 - x0 - 0.5, cy - S / 2 - y0 - 0.5, S + 1, S + 1);
    Object.assign(canvas.dataset, { x0: String(x0), y0: String(y0), cellId: String(id) });
    fig.hidden = false;
  }
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Page 0's reduced-resolution levels, largest first: its SubIFDs (OME-TIFF
 * pyramids: Bio-Formats, tifffile, 10x Xenium) and, for older pyramids,
 * smaller pages of the main chain with page 0's aspect. geotiff reads only
 * the main chain, so a SubIFD is parsed by its offset.
 */
async function reducedLevels(tiff: GeoTIFF, page: GeoTIFFImage): Promise<GeoTIFFImage[]> {
  const levels: GeoTIFFImage[] = [];
  const fd = page.fileDirectory;
  if (fd.hasTag("SubIFDs")) {
    const offsets = Array.from((await fd.loadValue("SubIFDs")) as ArrayLike<number | bigint>, Number);
    for (const at of offsets) {
      const sub = await tiff.parser.parseFileDirectoryAt(at);
      levels.push(new GeoTIFFImage(sub, (tiff as unknown as { littleEndian: boolean }).littleEndian, tiff.cache, tiff.source));
    }
  } else {
    const n = await tiff.getImageCount();
    for (let i = 1; i < n && i < 32; i++) {
      const p = await tiff.getImage(i);
      const w = p.getWidth();
      if (w < page.getWidth() && Math.abs(p.getHeight() / w - page.getHeight() / page.getWidth()) < 0.05) levels.push(p);
    }
  }
  return levels.sort((a, b) => b.getWidth() - a.getWidth());
}
