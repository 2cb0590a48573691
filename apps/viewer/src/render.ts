// Pixels of one cell from its float32 stack (C, S, S): one channel in grey,
// up to three as an RGB composite, or any channels each in a colour of its
// own added up; mask channels drawn as outlines. Each channel maps its
// contrast limits [lo, hi] to [0, 255] (times a gain); by default [0, 1] for
// normalised data (extraction writes [0, 1]) and [0, the 99.5th percentile]
// for raw intensities.

export type Rgb = [number, number, number];

export interface Display {
  /** Channel per output colour: [grey] or [r, g, b]; -1 = none. Unused with `mix`. */
  channels: number[];
  rgb: boolean;
  /** Channels added up, each in its colour (the per-channel composite); overrides grey / RGB. */
  mix?: { channel: number; color: Rgb }[];
  /** Mask channels drawn as outlines, with their colours. */
  outlines: { channel: number; color: Rgb }[];
  gain: number;
  /** Per channel: the contrast limits [lo, hi] (missing: [0, 1]). */
  limits: [number, number][];
}

/** The factor and offset that bring a channel's values to [0, 255 * gain] over its limits. */
function mapping(d: Display, ch: number): { k: number; lo: number } {
  const [lo, hi] = d.limits[ch] ?? [0, 1];
  return { k: (255 * d.gain) / (hi > lo ? hi - lo : 1), lo };
}

/** Sum of the coloured channels of a mix, per pixel and colour (reused between cells). */
let mixAcc = new Float32Array(0);

/**
 * Writes the cell at `cell` (offset into `data` of its first channel plane)
 * into `out` (RGBA, row stride `stride` pixels) with its top-left at (x0, y0).
 */
export function drawCell(data: Float32Array, cell: number, size: number, d: Display, out: Uint8ClampedArray, stride: number, x0: number, y0: number): void {
  const plane = size * size;
  if (d.mix) drawMix(data, cell, size, d, out, stride, x0, y0);
  else {
    for (let k = 0; k < 3; k++) {
      const ch = d.rgb ? d.channels[k] : d.channels[0];
      const { k: g, lo } = mapping(d, ch);
      const base = cell + ch * plane;
      for (let y = 0; y < size; y++) {
        let o = ((y0 + y) * stride + x0) * 4 + k;
        let i = base + y * size;
        if (ch < 0) {
          for (let x = 0; x < size; x++, o += 4) out[o] = 0;
        } else {
          for (let x = 0; x < size; x++, o += 4) out[o] = (data[i++] - lo) * g; // clamped by the array
        }
      }
    }
  }
  for (let y = 0; y < size; y++) {
    let o = ((y0 + y) * stride + x0) * 4 + 3;
    for (let x = 0; x < size; x++, o += 4) out[o] = 255;
  }
  for (const { channel, color } of d.outlines) {
    const m = cell + channel * plane;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = m + y * size + x;
        if (data[i] <= 0.5) continue;
        // an edge pixel: inside the mask with a 4-neighbour outside (or the border)
        const edge = x === 0 || y === 0 || x === size - 1 || y === size - 1 || data[i - 1] <= 0.5 || data[i + 1] <= 0.5 || data[i - size] <= 0.5 || data[i + size] <= 0.5;
        if (!edge) continue;
        const o = ((y0 + y) * stride + x0 + x) * 4;
        out[o] = color[0];
        out[o + 1] = color[1];
        out[o + 2] = color[2];
      }
    }
  }
}

/**
 * The per-channel composite: each channel's value over its limits, clamped to
 * [0, 1] (a saturated channel does not spill into the others), times its
 * colour, added up; the sum clamped to 255 when written.
 */
function drawMix(data: Float32Array, cell: number, size: number, d: Display, out: Uint8ClampedArray, stride: number, x0: number, y0: number): void {
  const plane = size * size;
  if (mixAcc.length < 3 * plane) mixAcc = new Float32Array(3 * plane);
  const acc = mixAcc;
  acc.fill(0, 0, 3 * plane);
  for (const { channel, color } of d.mix ?? []) {
    const { k, lo } = mapping(d, channel);
    const base = cell + channel * plane;
    const [r, g, b] = color;
    for (let p = 0; p < plane; p++) {
      let t = ((data[base + p] - lo) * k) / 255;
      if (!(t > 0)) continue; // also NaN
      if (t > 1) t = 1;
      acc[p * 3] += r * t;
      acc[p * 3 + 1] += g * t;
      acc[p * 3 + 2] += b * t;
    }
  }
  for (let y = 0; y < size; y++) {
    let o = ((y0 + y) * stride + x0) * 4;
    let p = y * size * 3;
    for (let x = 0; x < size; x++, o += 4, p += 3) {
      out[o] = acc[p];
      out[o + 1] = acc[p + 1];
      out[o + 2] = acc[p + 2];
    }
  }
}

/** One cell (all of `data` from `cell`) as a canvas of size x size. */
export function cellCanvas(data: Float32Array, cell: number, size: number, d: Display): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.width = size;
  c.height = size;
  const img = new ImageData(size, size);
  drawCell(data, cell, size, d, img.data, size, 0, 0);
  c.getContext("2d")?.putImageData(img, 0, 0);
  return c;
}

export const OUTLINE_COLORS: [number, number, number][] = [
  [255, 214, 10],
  [255, 64, 200],
  [80, 255, 255],
];
