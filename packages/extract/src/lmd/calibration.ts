// The three calibration points: where the LMD's operator finds the marks on
// the slide, in the mask's (row, col) pixels. The LMD maps the shapes through
// the affine transform the three points define, so they must span a plane.
import { LmdError } from "./options.js";

export type CalibrationPoints = [[number, number], [number, number], [number, number]];

/** Checks that there are three finite points, not on one line; returns them. */
export function checkCalibration(points: number[][]): CalibrationPoints {
  if (points.length !== 3 || !points.every((p) => p.length === 2 && p.every(Number.isFinite))) {
    throw new LmdError("calibration", `calibration: expected three points (row, col), got ${JSON.stringify(points)}`);
  }
  const [a, b, c] = points;
  const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  const scale = Math.max(Math.hypot(b[0] - a[0], b[1] - a[1]), Math.hypot(c[0] - a[0], c[1] - a[1]), 1);
  // Twice the triangle's area against its longest side squared: ~0 when on one line.
  if (Math.abs(cross) <= 1e-6 * scale * scale) {
    throw new LmdError(
      "calibration",
      `calibration: the points (${a.join(", ")}), (${b.join(", ")}), (${c.join(", ")}) lie on one line; the LMD needs three points spanning the slide (e.g. three corners)`,
    );
  }
  return points as CalibrationPoints;
}

/** Parses "r,c r,c r,c" (points split by spaces, ';' or newlines; a header line of words is skipped). */
export function parseCalibration(text: string): number[][] {
  return text
    .split(/[;\n\r]+|\s+(?=[-+\d.])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !/^[A-Za-z_]/.test(s))
    .map((s) => s.split(/[,\s]+/).map(Number));
}
