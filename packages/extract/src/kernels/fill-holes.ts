// Hole filling as scipy.ndimage.binary_fill_holes with its default 4-connected
// structure: background not 4-connected to the plane's edge becomes foreground.
// Everything outside the foreground's box reaches the edge, so only the box is
// searched: its background reached from the box's border stays background.
import type { Rect } from "./rect.js";

/**
 * Fill the holes of the 0/1 bytes of `mask` (row-major, `width` wide) in place,
 * given a box holding all its ones. `stack` needs (box area) entries.
 */
export function fillHoles(mask: Uint8Array, width: number, box: Rect, stack: Int32Array): void {
  const { y0, y1, x0, x1 } = box;
  if (y1 - y0 < 3 || x1 - x0 < 3) return; // no interior, no hole
  let sp = 0;
  const seed = (p: number) => {
    if (mask[p] === 0) {
      mask[p] = 2;
      stack[sp++] = p;
    }
  };
  for (let x = x0; x < x1; x++) {
    seed(y0 * width + x);
    seed((y1 - 1) * width + x);
  }
  for (let y = y0 + 1; y < y1 - 1; y++) {
    seed(y * width + x0);
    seed(y * width + x1 - 1);
  }
  // Flood the reachable background (marked 2), 4-connected, inside the box.
  while (sp > 0) {
    const p = stack[--sp];
    const y = (p / width) | 0;
    const x = p - y * width;
    if (x > x0 && mask[p - 1] === 0) {
      mask[p - 1] = 2;
      stack[sp++] = p - 1;
    }
    if (x < x1 - 1 && mask[p + 1] === 0) {
      mask[p + 1] = 2;
      stack[sp++] = p + 1;
    }
    if (y > y0 && mask[p - width] === 0) {
      mask[p - width] = 2;
      stack[sp++] = p - width;
    }
    if (y < y1 - 1 && mask[p + width] === 0) {
      mask[p + width] = 2;
      stack[sp++] = p + width;
    }
  }
  // Unreached background is a hole; reached background goes back to 0.
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    for (let x = x0; x < x1; x++) {
      const v = mask[row + x];
      mask[row + x] = v === 2 ? 0 : 1;
    }
  }
}
