// Binary dilation with skimage.morphology.disk(r) (|dy|^2 + |dx|^2 <= r^2), zero
// outside the plane, as scipy.ndimage.binary_dilation(mask, structure=disk(r)).
// Each run of a source row widens by the disk's half-width at every row offset.
import { growRect, isEmpty, type Rect } from "./rect.js";

/** Half-widths of disk(r): h[dy + r] = the largest h with h^2 + dy^2 <= r^2. */
export function diskHalfWidths(r: number): Int32Array {
  const h = new Int32Array(2 * r + 1);
  for (let dy = -r; dy <= r; dy++) {
    let w = Math.floor(Math.sqrt(r * r - dy * dy));
    while (w * w + dy * dy > r * r) w--;
    while ((w + 1) * (w + 1) + dy * dy <= r * r) w++;
    h[dy + r] = w;
  }
  return h;
}

/**
 * Dilate the 0/1 bytes of `src` (height x width), all of whose ones lie in `box`,
 * into `dst` over the returned support (box grown by r, clipped). `dst` is written
 * only inside that support; `halfWidths` comes from diskHalfWidths(r).
 */
export function dilateDisk(
  src: Uint8Array,
  dst: Uint8Array,
  height: number,
  width: number,
  box: Rect,
  halfWidths: Int32Array,
  support: Rect,
): Rect {
  const r = (halfWidths.length - 1) >> 1;
  growRect(box, r, height, width, support);
  if (isEmpty(box)) return support;
  for (let y = support.y0; y < support.y1; y++) dst.fill(0, y * width + support.x0, y * width + support.x1);
  for (let i = box.y0; i < box.y1; i++) {
    const row = i * width;
    let x = box.x0;
    while (x < box.x1) {
      if (src[row + x] === 0) {
        x++;
        continue;
      }
      const a = x;
      while (x < box.x1 && src[row + x] !== 0) x++;
      const ya = Math.max(0, i - r);
      const yb = Math.min(height, i + r + 1);
      for (let y = ya; y < yb; y++) {
        const h = halfWidths[y - i + r];
        dst.fill(1, y * width + Math.max(0, a - h), y * width + Math.min(width, x + h));
      }
    }
  }
  return support;
}
