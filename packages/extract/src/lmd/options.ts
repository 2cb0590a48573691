// The options of a laser-microdissection export, named as py-lmd's
// SegmentationLoader names them (camelCase here, snake_case there) and with
// its defaults, so a py-lmd config carries over one to one.

import { CellfolioError } from "@cellfolio/format";

export type PathOptimization = "none" | "hilbert" | "greedy";

export interface LmdOptions {
  /** Disk radius (pixels) each cell is dilated by before intersecting cells are joined. */
  shapeDilation: number;
  /** Disk radius each cell is eroded by (only without joining: py-lmd's joining step dilates only). */
  shapeErosion: number;
  /** Radius of the closing (dilation, then erosion) that smooths each shape's pixels. */
  binarySmoothing: number;
  /** Length of the circular moving average over the outline's half-pixel points. */
  convolutionSmoothing: number;
  /** Ramer-Douglas-Peucker tolerance in pixels (0 keeps every point). */
  rdpEpsilon: number;
  /** Order in which the shapes of one well are cut. */
  pathOptimization: PathOptimization;
  /** Order of the Hilbert curve for "hilbert" (4 for 1 mm x 1 mm, 7 for a slide). */
  hilbertP: number;
  /** Join shapes whose dilated pixels overlap into one shape. */
  joinIntersecting: boolean;
  /** Only cells whose centres are at most this far apart (pixels) are tested for overlap. */
  distanceHeuristic: number;
  /** Factor the coordinates are multiplied by before rounding to the XML's integers. */
  xmlDecimalTransform: number;
  /** 2 x 2 matrix, row-major, applied as `[row, col] @ M` to points and calibration points. */
  orientationTransform: [number, number, number, number];
}

export const LMD_DEFAULTS: Readonly<LmdOptions> = {
  shapeDilation: 0,
  shapeErosion: 0,
  binarySmoothing: 3,
  convolutionSmoothing: 15,
  rdpEpsilon: 0.1,
  pathOptimization: "hilbert",
  hilbertP: 7,
  joinIntersecting: true,
  distanceHeuristic: 300,
  xmlDecimalTransform: 100,
  orientationTransform: [1, 0, 0, 1],
};

/** Raised for an option, a selection or a calibration that cannot be used; `option` names it as the API does. */
export class LmdError extends CellfolioError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super("lmd", option, undefined, message, { message });
    this.name = "LmdError";
  }
}

/** The defaults with `given` on top, each value checked. */
export function resolveLmdOptions(given: Partial<LmdOptions> = {}): LmdOptions {
  const o: LmdOptions = { ...LMD_DEFAULTS, ...given };
  const nonNegInt = (k: keyof LmdOptions, max = 1000) => {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v < 0 || v > max) throw new LmdError(k, `${k} ${v}: expected an integer from 0 to ${max}`);
  };
  nonNegInt("shapeDilation");
  nonNegInt("shapeErosion");
  nonNegInt("binarySmoothing");
  if (!Number.isInteger(o.convolutionSmoothing) || o.convolutionSmoothing < 1) {
    throw new LmdError("convolutionSmoothing", `convolutionSmoothing ${o.convolutionSmoothing}: expected an integer >= 1 (1: no smoothing)`);
  }
  if (!(o.rdpEpsilon >= 0)) throw new LmdError("rdpEpsilon", `rdpEpsilon ${o.rdpEpsilon}: expected a number >= 0`);
  if (!["none", "hilbert", "greedy"].includes(o.pathOptimization)) {
    throw new LmdError("pathOptimization", `pathOptimization ${o.pathOptimization}: expected none, hilbert or greedy`);
  }
  if (!Number.isInteger(o.hilbertP) || o.hilbertP < 1 || o.hilbertP > 15) throw new LmdError("hilbertP", `hilbertP ${o.hilbertP}: expected an integer from 1 to 15`);
  if (!(o.distanceHeuristic >= 0)) throw new LmdError("distanceHeuristic", `distanceHeuristic ${o.distanceHeuristic}: expected a number >= 0`);
  if (!(o.xmlDecimalTransform > 0)) throw new LmdError("xmlDecimalTransform", `xmlDecimalTransform ${o.xmlDecimalTransform}: expected a number > 0`);
  const m = o.orientationTransform;
  if (m.length !== 4 || !m.every(Number.isFinite) || m[0] * m[3] - m[1] * m[2] === 0) {
    throw new LmdError("orientationTransform", `orientationTransform ${m.join(",")}: expected 4 numbers (a 2 x 2 matrix, row-major) that can be inverted`);
  }
  return o;
}
