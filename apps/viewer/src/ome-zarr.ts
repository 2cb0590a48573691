// An OME-Zarr slide (NGFF 0.4 .zattrs multiscales, or 0.5 zarr.json
// attributes.ome) read by @cellfolio/format's Zarr reader: the overview from
// the coarsest pyramid level still OVERVIEW_MAX px or more (every k-th pixel
// of it when larger), a window at level 0 from only the chunks it covers.
// First channel, first time point and plane; y / x are the axes so named
// (the last two where axes are not named, before NGFF 0.4).
import { float16ToFloat32, openZarr, type StoreReader, type TypedArray } from "@cellfolio/format";

export type Pixels = { data: Float32Array; w: number; h: number };

interface Level {
  path: string;
  /** The array's shape, with the y and x axes at `yAxis` / `xAxis`. */
  shape: number[];
  chunks: number[];
}

export class OmeZarrSlide {
  private constructor(
    private readonly store: StoreReader,
    /** Level 0 first, as multiscales lists them (finest first). */
    private readonly levels: Level[],
    private readonly yAxis: number,
    private readonly xAxis: number,
  ) {}

  static async open(url: string): Promise<OmeZarrSlide> {
    const store = await openZarr(url);
    const root = await store.get("");
    const attrs = (root?.attrs ?? {}) as Record<string, any>;
    const ms = (attrs.ome?.multiscales ?? attrs.multiscales)?.[0];
    if (!ms || !Array.isArray(ms.datasets) || ms.datasets.length === 0) {
      await store.close();
      throw new Error("not an OME-Zarr image: no multiscales with datasets in the root group's attributes (.zattrs, or zarr.json attributes.ome)");
    }
    const levels: Level[] = [];
    for (const d of ms.datasets as { path: string }[]) {
      const a = await store.get(String(d.path));
      if (a?.kind !== "array") throw new Error(`multiscales names ${d.path}, which is not an array`);
      levels.push({ path: String(d.path), shape: a.shape, chunks: a.chunks ?? a.shape });
    }
    const rank = levels[0].shape.length;
    const names: string[] = Array.isArray(ms.axes) ? ms.axes.map((x: string | { name: string }) => (typeof x === "string" ? x : x.name)) : [];
    const yAxis = names.includes("y") ? names.indexOf("y") : rank - 2;
    const xAxis = names.includes("x") ? names.indexOf("x") : rank - 1;
    if (rank < 2 || yAxis < 0) throw new Error(`level ${levels[0].path} has shape ${JSON.stringify(levels[0].shape)}: expected (…, y, x)`);
    return new OmeZarrSlide(store, levels, yAxis, xAxis);
  }

  get width(): number {
    return this.levels[0].shape[this.xAxis];
  }

  get height(): number {
    return this.levels[0].shape[this.yAxis];
  }

  /** The box y0..y1, x0..x1 of one level (other axes at 0), every `step`-th pixel, read one band of chunk rows at a time. */
  private async readLevel(l: Level, x0: number, y0: number, x1: number, y1: number, step: number): Promise<Pixels> {
    const w = Math.ceil((x1 - x0) / step);
    const h = Math.ceil((y1 - y0) / step);
    const out = new Float32Array(w * h);
    const band = l.chunks[this.yAxis];
    for (let a = y0; a < y1; a = (Math.floor(a / band) + 1) * band) {
      const b = Math.min(y1, (Math.floor(a / band) + 1) * band);
      // the first wanted row in this band
      const first = y0 + Math.ceil((a - y0) / step) * step;
      if (first >= b) continue;
      const start = l.shape.map(() => 0);
      const shape = l.shape.map(() => 1);
      start[this.yAxis] = a;
      shape[this.yAxis] = b - a;
      start[this.xAxis] = x0;
      shape[this.xAxis] = x1 - x0;
      const block = await this.store.readBlock(l.path, start, shape);
      // float16 comes as its bit patterns
      const data = block.dtype === "float16" ? float16ToFloat32(block.data as Uint16Array) : (block.data as TypedArray);
      // y before x in the block (C order): row stride is the x extent, or 1 and the y extent if x comes first
      const [sy, sx] = this.yAxis < this.xAxis ? [x1 - x0, 1] : [1, b - a];
      for (let y = first; y < b; y += step) {
        const o = ((y - y0) / step) * w;
        for (let i = 0; i < w; i++) out[o + i] = Number(data[(y - a) * sy + i * step * sx]);
      }
    }
    return { data: out, w, h };
  }

  /** A window of level 0, every `step`-th pixel. */
  read(x0: number, y0: number, x1: number, y1: number, step: number): Promise<Pixels> {
    return this.readLevel(this.levels[0], x0, y0, x1, y1, step);
  }

  /** The whole slide at about `max` px on its longest side: the coarsest level still that large, strided if larger. */
  overview(max: number): Promise<Pixels> {
    const side = (l: Level) => Math.max(l.shape[this.yAxis], l.shape[this.xAxis]);
    const l = [...this.levels].reverse().find((v) => side(v) >= max) ?? this.levels[0];
    const step = Math.max(1, Math.ceil(side(l) / max));
    return this.readLevel(l, 0, 0, l.shape[this.xAxis], l.shape[this.yAxis], step);
  }
}
