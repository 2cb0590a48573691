// The PNG of `cellfolio lmd --png`: the part of the mask the shapes cover
// (grey: cells, lighter: selected cells), the shapes' outlines in red and the
// calibration points as green crosses, scaled down to at most 2048 px across.
// The mask is read in strips of rows, as for the export itself.
import type { CellSet, ImageSource, LmdResult } from "@cellfolio/extract";
import { encodePng } from "../images/png.js";

const MAX_SIDE = 2048;

export async function renderOverlay(mask: ImageSource, r: LmdResult, sets: CellSet[]): Promise<Buffer> {
  let y0 = Infinity;
  let y1 = -Infinity;
  let x0 = Infinity;
  let x1 = -Infinity;
  const grow = (y: number, x: number) => {
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
  };
  for (const s of r.shapes) for (let i = 0; i < s.points.length; i += 2) grow(s.points[i], s.points[i + 1]);
  for (const [cy, cx] of r.calibration) grow(cy, cx);
  const top = Math.max(0, Math.floor(y0) - 10);
  const left = Math.max(0, Math.floor(x0) - 10);
  const bottom = Math.min(mask.height, Math.ceil(y1) + 11);
  const right = Math.min(mask.width, Math.ceil(x1) + 11);
  const f = Math.max(1, Math.ceil(Math.max(bottom - top, right - left) / MAX_SIDE));
  const h = Math.max(1, Math.ceil((bottom - top) / f));
  const w = Math.max(1, Math.ceil((right - left) / f));
  const rgb = new Uint8Array(h * w * 3);
  const selected = new Set(sets.flatMap((s) => Array.from(s.cellIds, Number)));
  const rows = Math.max(1, Math.floor((1 << 22) / Math.max(1, right - left) / f)) * f;
  for (let sy = top; sy < bottom; sy += rows) {
    const sh = Math.min(rows, bottom - sy);
    const [plane] = await mask.readWindow(sy, left, sh, right - left);
    for (let yy = 0; yy < sh; yy += 1) {
      const oy = Math.floor((sy + yy - top) / f);
      if ((sy + yy - top) % f !== 0 || oy >= h) continue;
      for (let ox = 0; ox < w; ox++) {
        const v = Number(plane[yy * (right - left) + ox * f]);
        const g = v <= 0 ? 0 : selected.has(v) ? 150 : 70;
        rgb.fill(g, (oy * w + ox) * 3, (oy * w + ox) * 3 + 3);
      }
    }
  }
  const put = (y: number, x: number, c: [number, number, number]) => {
    const py = Math.round((y - top) / f);
    const px = Math.round((x - left) / f);
    if (py < 0 || py >= h || px < 0 || px >= w) return;
    rgb.set(c, (py * w + px) * 3);
  };
  const line = (ay: number, ax: number, by: number, bx: number, c: [number, number, number]) => {
    const steps = Math.max(1, Math.ceil((Math.max(Math.abs(by - ay), Math.abs(bx - ax)) / f) * 2));
    for (let k = 0; k <= steps; k++) put(ay + ((by - ay) * k) / steps, ax + ((bx - ax) * k) / steps, c);
  };
  for (const s of r.shapes) {
    const p = s.points;
    const n = p.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      line(p[2 * i], p[2 * i + 1], p[2 * j], p[2 * j + 1], [255, 40, 40]);
    }
  }
  for (const [cy, cx] of r.calibration) {
    line(cy - 8 * f, cx, cy + 8 * f, cx, [40, 255, 40]);
    line(cy, cx - 8 * f, cy, cx + 8 * f, [40, 255, 40]);
  }
  return encodePng(rgb, w, h, 3);
}
