// Pixels of one cell from its float32 stack (C, S, S): one channel in grey or
// up to three as an RGB composite, mask channels drawn as outlines. Values are
// the stored intensities (extraction normalises to [0, 1]; other data is
// scaled per channel to its 99.5th percentile) times a gain.

export interface Display {
  /** Channel per output colour: [grey] or [r, g, b]; -1 = none. */
  channels: number[];
  rgb: boolean;
  /** Mask channels drawn as outlines, with their colours. */
  outlines: { channel: number; color: [number, number, number] }[];
  gain: number;
  /** Per channel: the factor that brings its values to [0, 1] (1 for normalised data). */
  scale: number[];
}

/**
 * Writes the cell at `cell` (offset into `data` of its first channel plane)
 * into `out` (RGBA, row stride `stride` pixels) with its top-left at (x0, y0).
 */
export function drawCell(data: Float32Array, cell: number, size: number, d: Display, out: Uint8ClampedArray, stride: number, x0: number, y0: number): void {
  const plane = size * size;
  for (let k = 0; k < 3; k++) {
    const ch = d.rgb ? d.channels[k] : d.channels[0];
    const g = 255 * d.gain * (d.scale[ch] ?? 1);
    const base = cell + ch * plane;
    for (let y = 0; y < size; y++) {
      let o = ((y0 + y) * stride + x0) * 4 + k;
      let i = base + y * size;
      if (ch < 0) {
        for (let x = 0; x < size; x++, o += 4) out[o] = 0;
      } else {
        for (let x = 0; x < size; x++, o += 4) out[o] = data[i++] * g; // clamped by the array
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

/**
 * Per channel: 1 if its values lie in [0, 1] (normalised, as extraction
 * writes), else 1 / its 99.5th percentile, from the cells at hand (a sample
 * of at most 100,000 values a channel).
 */
export function channelScales(data: Float32Array, cells: number, channels: number, size: number): number[] {
  const plane = size * size;
  const per = Math.min(100_000, cells * plane);
  const step = Math.max(1, Math.floor((cells * plane) / per));
  return Array.from({ length: channels }, (_, ch) => {
    const sample = new Float32Array(Math.ceil((cells * plane) / step));
    let n = 0;
    let max = 0;
    for (let i = 0; i < cells * plane; i += step) {
      const v = data[Math.floor(i / plane) * channels * plane + ch * plane + (i % plane)];
      sample[n++] = v;
      if (v > max) max = v;
    }
    if (max <= 1) return 1;
    const sorted = sample.subarray(0, n).sort();
    const p = sorted[Math.min(n - 1, Math.floor(n * 0.995))];
    return p > 0 ? 1 / p : 1 / max;
  });
}
