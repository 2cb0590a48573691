// The extraction presets' parameters, defaults and checks (docs/algorithm.md);
// what each preset computes is its own module: presets/classic.ts
// (cellfolio's default), presets/scportrait.ts (reproduces scPortrait >= 1.4).
import { CellfolioError } from "@cellfolio/format";

export type Preset = "classic" | "scportrait";
export const PRESETS: readonly Preset[] = ["classic", "scportrait"];

export interface ExtractionParams {
  preset: Preset;
  /** Crop size S (even); the crop is [cy - S/2, cy + S/2). */
  size: number;
  /** Gaussian sigma: of the weights (classic, 5) or of the soft masks (scportrait, 1). */
  sigma: number;
  /** Radius of the disk the cytosol mask is dilated with (classic only). */
  dilation: number;
  /** Percentile normalisation range, numpy linear quantiles. */
  quantiles: [number, number];
  /** Index of the channel weighted by the nucleus mask (classic). */
  nuclearChannel: number;
  /** Cells whose crop leaves the image: not written ("drop") or zero-padded ("pad"). */
  border: "drop" | "pad";
}

const DEFAULTS: Record<Preset, ExtractionParams> = {
  classic: { preset: "classic", size: 128, sigma: 5, dilation: 6, quantiles: [0.001, 0.999], nuclearChannel: 0, border: "drop" },
  scportrait: { preset: "scportrait", size: 128, sigma: 1, dilation: 0, quantiles: [0.001, 0.999], nuclearChannel: 0, border: "drop" },
};

/** Raised for parameters that cannot be used; the message names the parameter and what is expected. */
export class ParamError extends CellfolioError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super("param", param, undefined, message, { message: `extraction parameter "${param}": ${message}` });
    this.name = "ParamError";
  }
}

/**
 * Fill in the preset's defaults and validate. Undefined values take the default.
 * `nChannels`, when given, also checks the nuclear channel index.
 */
export function resolveParams(p: Partial<ExtractionParams> = {}, nChannels?: number): ExtractionParams {
  const preset = p.preset ?? "classic";
  if (!PRESETS.includes(preset)) throw new ParamError("preset", `expected one of ${PRESETS.join(", ")}, got ${JSON.stringify(preset)}`);
  const d = DEFAULTS[preset];
  const r: ExtractionParams = {
    preset,
    size: p.size ?? d.size,
    sigma: p.sigma ?? d.sigma,
    dilation: p.dilation ?? d.dilation,
    quantiles: p.quantiles ? [p.quantiles[0], p.quantiles[1]] : [d.quantiles[0], d.quantiles[1]],
    nuclearChannel: p.nuclearChannel ?? d.nuclearChannel,
    border: p.border ?? d.border,
  };
  if (!Number.isInteger(r.size) || r.size < 2 || r.size % 2 !== 0) throw new ParamError("size", `expected an even integer >= 2, got ${r.size}`);
  if (r.size > 4096) throw new ParamError("size", `expected at most 4096, got ${r.size}`);
  if (!(Number.isFinite(r.sigma) && r.sigma > 0)) throw new ParamError("sigma", `expected a positive number, got ${r.sigma}`);
  if (!Number.isInteger(r.dilation) || r.dilation < 0 || r.dilation > 1000)
    throw new ParamError("dilation", `expected an integer disk radius >= 0, got ${r.dilation}`);
  const [q0, q1] = r.quantiles;
  if (!(q0 >= 0 && q1 <= 1 && q0 <= q1)) throw new ParamError("quantiles", `expected 0 <= lower <= upper <= 1, got [${q0}, ${q1}]`);
  if (!Number.isInteger(r.nuclearChannel) || r.nuclearChannel < 0)
    throw new ParamError("nuclearChannel", `expected an integer >= 0, got ${r.nuclearChannel}`);
  if (nChannels !== undefined && r.nuclearChannel >= nChannels)
    throw new ParamError("nuclearChannel", `expected an index below the image's ${nChannels} channel(s), got ${r.nuclearChannel}`);
  if (r.border !== "drop" && r.border !== "pad") throw new ParamError("border", `expected "drop" or "pad", got ${JSON.stringify(r.border)}`);
  return r;
}

/** Gaussian kernel radius as scipy.ndimage computes it: int(truncate * sigma + 0.5), truncate 4. */
export function kernelRadius(sigma: number): number {
  return Math.trunc(4 * sigma + 0.5);
}

/**
 * How far beyond a cell's nucleus bounding box its crop reads the slide: the crop
 * is [cy - S/2, cy + S/2), so a window covering that is enough for extractCell.
 */
export function cropBounds(cy: number, cx: number, size: number): { y0: number; x0: number; y1: number; x1: number } {
  const w = size / 2;
  return { y0: cy - w, x0: cx - w, y1: cy + w, x1: cx + w };
}

/** Whether the crop of a cell at (cy, cx) lies inside an H x W image: w < cy < H - w and w < cx < W - w. */
export function cropInside(cy: number, cx: number, height: number, width: number, size: number): boolean {
  const w = size / 2;
  return w < cy && cy < height - w && w < cx && cx < width - w;
}
