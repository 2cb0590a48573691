// Binary morphology on a shape's small map (one byte per pixel, 0 / 1):
// dilation and erosion by a disk, and filling holes. Pixels outside the map
// count as "ignore" the way scikit-image does: background for a dilation,
// foreground for an erosion (so a shape cut by the slide's edge stays cut
// straight there).

/** Half-widths of a disk of radius r: pixel (dy, dx) is in it iff |dx| <= half[|dy|] (dx^2 + dy^2 <= r^2). */
function diskHalfWidths(r: number): Int32Array {
  const half = new Int32Array(r + 1);
  for (let dy = 0; dy <= r; dy++) {
    let dx = 0;
    while ((dx + 1) * (dx + 1) + dy * dy <= r * r) dx++;
    half[dy] = dx;
  }
  return half;
}

/**
 * For each pixel, the distance along its row to the nearest pixel equal to
 * `value` (a large number when the row has none).
 */
function rowDistances(src: Uint8Array, h: number, w: number, value: number, out: Int32Array): void {
  const far = 1 << 29;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let last = -far;
    for (let x = 0; x < w; x++) {
      if (src[row + x] === value) last = x;
      out[row + x] = x - last;
    }
    last = far * 2;
    for (let x = w - 1; x >= 0; x--) {
      if (src[row + x] === value) last = x;
      const d = last - x;
      if (d < out[row + x]) out[row + x] = d;
    }
  }
}

/**
 * Pixels within a disk of radius r of a pixel equal to `value` become `value`;
 * the others keep theirs. Dilation with value 1, erosion with value 0.
 */
function spread(src: Uint8Array, h: number, w: number, r: number, value: number): Uint8Array {
  if (r === 0) return src.slice();
  const half = diskHalfWidths(r);
  const dist = new Int32Array(h * w);
  rowDistances(src, h, w, value, dist);
  const out = src.slice();
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h - 1, y + r);
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (out[i] === value) continue;
      for (let yy = y0; yy <= y1; yy++) {
        if (dist[yy * w + x] <= half[yy > y ? yy - y : y - yy]) {
          out[i] = value;
          break;
        }
      }
    }
  }
  return out;
}

export function dilateDisk(src: Uint8Array, h: number, w: number, r: number): Uint8Array {
  return spread(src, h, w, r, 1);
}

export function erodeDisk(src: Uint8Array, h: number, w: number, r: number): Uint8Array {
  return spread(src, h, w, r, 0);
}

/** Background not reached from the map's border through 4-connected background becomes foreground (in place). */
export function fillHoles(map: Uint8Array, h: number, w: number): void {
  // 2 marks background reached from the border; a stack of pixel indices walks it.
  const stack = new Int32Array(h * w);
  let top = 0;
  const seed = (i: number) => {
    if (map[i] === 0) {
      map[i] = 2;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < w; x++) {
    seed(x);
    seed((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    seed(y * w);
    seed(y * w + w - 1);
  }
  while (top > 0) {
    const i = stack[--top];
    const y = (i / w) | 0;
    const x = i - y * w;
    if (x > 0) seed(i - 1);
    if (x < w - 1) seed(i + 1);
    if (y > 0) seed(i - w);
    if (y < h - 1) seed(i + w);
  }
  for (let i = 0; i < map.length; i++) map[i] = map[i] === 2 ? 0 : 1;
}
