// The XML a Leica LMD6 / LMD7 reads, with the elements py-lmd's Collection
// writes: <ImageData> with <GlobalCoordinates> (the number of calibration
// points), X_/Y_CalibrationPoint_i, <ShapeCount>, and one <Shape_i> per shape
// with <PointCount>, an optional <CapID> (the well) and X_j / Y_j. Coordinates
// are `[row, col] @ orientationTransform * xmlDecimalTransform` as integers:
// points rounded (halves to even, as numpy), calibration points floored.
import type { CalibrationPoints } from "./calibration.js";
import { roundHalfEven } from "./path.js";

export interface XmlShape {
  /** [row0, col0, row1, col1, ...] in slide pixels. */
  points: Float64Array;
  well?: string;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

/** The whole document as text (a few bytes per point; 10,000 shapes are a few MB). */
export function leicaXml(shapes: XmlShape[], calibration: CalibrationPoints, transform: readonly number[], scale: number): string {
  const [m00, m01, m10, m11] = transform;
  const out: string[] = ["<?xml version='1.0' encoding='utf-8'?>\n<ImageData>\n", `  <GlobalCoordinates>${calibration.length}</GlobalCoordinates>\n`];
  calibration.forEach(([r, c], i) => {
    const x = Math.floor((r * m00 + c * m10) * scale);
    const y = Math.floor((r * m01 + c * m11) * scale);
    out.push(`  <X_CalibrationPoint_${i + 1}>${x}</X_CalibrationPoint_${i + 1}>\n  <Y_CalibrationPoint_${i + 1}>${y}</Y_CalibrationPoint_${i + 1}>\n`);
  });
  out.push(`  <ShapeCount>${shapes.length}</ShapeCount>\n`);
  shapes.forEach((s, k) => {
    const p = s.points;
    const n = p.length / 2;
    const parts = [`  <Shape_${k + 1}>\n    <PointCount>${n}</PointCount>\n`];
    if (s.well !== undefined) parts.push(`    <CapID>${escapeXml(s.well)}</CapID>\n`);
    for (let j = 0; j < n; j++) {
      const r = p[2 * j];
      const c = p[2 * j + 1];
      const x = roundHalfEven((r * m00 + c * m10) * scale);
      const y = roundHalfEven((r * m01 + c * m11) * scale);
      parts.push(`    <X_${j + 1}>${x}</X_${j + 1}>\n    <Y_${j + 1}>${y}</Y_${j + 1}>\n`);
    }
    parts.push(`  </Shape_${k + 1}>\n`);
    out.push(parts.join(""));
  });
  out.push("</ImageData>\n");
  return out.join("");
}
