// A rectangle [y0, y1) x [x0, x1) of a plane: the support a kernel works on.
export interface Rect {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

export function emptyRect(): Rect {
  return { y0: 0, y1: 0, x0: 0, x1: 0 };
}

export function isEmpty(r: Rect): boolean {
  return r.y1 <= r.y0 || r.x1 <= r.x0;
}

/** r grown by m on every side and clipped to a height x width plane, written into out. */
export function growRect(r: Rect, m: number, height: number, width: number, out: Rect): Rect {
  if (isEmpty(r)) {
    out.y0 = out.y1 = out.x0 = out.x1 = 0;
    return out;
  }
  out.y0 = Math.max(0, r.y0 - m);
  out.x0 = Math.max(0, r.x0 - m);
  out.y1 = Math.min(height, r.y1 + m);
  out.x1 = Math.min(width, r.x1 + m);
  return out;
}
