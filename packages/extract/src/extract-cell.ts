// One cell's stack [masks..., channels...] as float16 bits: the cell's masks
// cropped, then its preset's steps (presets/classic.ts, presets/scportrait.ts;
// docs/algorithm.md). All buffers live in a Scratch (crop.ts) made once per
// worker: no allocation per cell.
import { Scratch, type Window } from "./crop.js";
import type { CellInfo, LabelPlane } from "./kernels/cells.js";
import { isEmpty, type Rect } from "./kernels/rect.js";
import { type KernelChoice, kernelModule } from "./kernels/wasm.js";
import { classic } from "./presets/classic.js";
import { scportrait } from "./presets/scportrait.js";
import { type ExtractionParams, ParamError } from "./presets.js";

export { type ChannelPlane, Scratch, type Window } from "./crop.js";
export type { CellInfo, LabelPlane } from "./kernels/cells.js";
export { CellAccumulator, findCells, roundHalfEven } from "./kernels/cells.js";
export { type KernelChoice, wasmKernelsAvailable, windowRoom } from "./kernels/wasm.js";

/** Number of mask planes stored before the channels: nucleus, and cytosol when given. */
export function maskCount(_params: ExtractionParams, hasCytosol: boolean): number {
  return hasCytosol ? 2 : 1;
}

/**
 * Buffers for extractCell with these parameters on images of nChannels channels
 * (checked: the nuclear channel must exist). One per worker, reused for every cell.
 * `kernels`: "auto" (default) runs the WebAssembly SIMD kernels where the
 * engine has them and the JavaScript ones elsewhere; "wasm" or "js" forces one
 * (both give the same bits; "wasm" throws where it cannot run).
 * `windowBytes`: room in the WebAssembly kernels' memory for the channel
 * planes of a window (Scratch.loadWindow; windowRoom gives it), whose crops
 * are then read in place.
 */
export function createScratch(params: ExtractionParams, nChannels: number, kernels: KernelChoice = "auto", windowBytes = 0): Scratch {
  if (params.nuclearChannel >= nChannels)
    throw new ParamError("nuclearChannel", `expected an index below the image's ${nChannels} channel(s), got ${params.nuclearChannel}`);
  const module = kernels === "js" ? null : kernelModule();
  if (kernels === "wasm" && !module) throw new Error("kernels: \"wasm\" needs WebAssembly with SIMD, which this engine lacks; use \"auto\" or \"js\"");
  return new Scratch(params, nChannels, module, windowBytes);
}

/**
 * Binary crop of `labels == id` into `mask` (S x S, zeroed first) over the valid
 * part of `scan` (crop coordinates); `box` becomes the tight box of its ones.
 */
function cropMask(labels: LabelPlane, win: Window, oy: number, ox: number, id: number, scan: Rect, S: number, mask: Uint8Array, box: Rect): void {
  mask.fill(0);
  let y0 = S;
  let y1 = 0;
  let x0 = S;
  let x1 = 0;
  const ww = win.width;
  for (let y = scan.y0; y < scan.y1; y++) {
    const src = (oy + y - win.y0) * ww + (ox - win.x0);
    const row = y * S;
    let any = false;
    for (let x = scan.x0; x < scan.x1; x++) {
      if (labels[src + x] === id) {
        mask[row + x] = 1;
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        any = true;
      }
    }
    if (any) {
      if (y < y0) y0 = y;
      y1 = y + 1;
    }
  }
  if (y1 <= y0) {
    box.y0 = box.y1 = box.x0 = box.x1 = 0;
  } else {
    box.y0 = y0;
    box.y1 = y1;
    box.x0 = x0;
    box.x1 = x1;
  }
}

/** The slide box b in crop coordinates (origin oy, ox), within v, into out. */
function inCrop(b: Rect, oy: number, ox: number, v: Rect, out: Rect): Rect {
  out.y0 = Math.max(v.y0, b.y0 - oy);
  out.y1 = Math.min(v.y1, b.y1 - oy);
  out.x0 = Math.max(v.x0, b.x0 - ox);
  out.x1 = Math.min(v.x1, b.x1 - ox);
  if (out.y1 < out.y0) out.y1 = out.y0;
  if (out.x1 < out.x0) out.x1 = out.x0;
  return out;
}

/**
 * Write the cell's stack [masks..., channels...] as float16 bits,
 * (maskCount + C) * S * S values, into out (from out[0]). The window must hold
 * every pixel of the crop [cy - S/2, cy + S/2) x [cx - S/2, cx + S/2) that lies in
 * the image; crop pixels outside the image are zeros (border "pad").
 * `cytosolMissing`: the cell's id has no pixel in the cytosol crop (its cytosol
 * mask, and so the weight of the non-nuclear channels, is all zero).
 */
export function extractCell(win: Window, cell: CellInfo, params: ExtractionParams, scratch: Scratch, out: Uint16Array): { cytosolMissing: boolean } {
  const s = scratch;
  const S = s.S;
  const sp = s.params;
  if (params !== sp && (params.size !== sp.size || params.preset !== sp.preset || params.sigma !== sp.sigma || params.dilation !== sp.dilation))
    throw new Error("extractCell: the scratch was made for other parameters (size, preset, sigma or dilation)");
  const w = S / 2;
  const oy = cell.cy - w; // crop origin, slide coordinates
  const ox = cell.cx - w;
  const nC = win.channels.length;
  const hasCyto = win.cytosol !== null;
  const nM = hasCyto ? 2 : 1;
  if (out.length < (nM + nC) * S * S) throw new RangeError(`extractCell: output holds ${out.length} values, needs ${(nM + nC) * S * S}`);

  // The part of the crop inside both the image and the window.
  const v = s.valid;
  v.y0 = Math.max(0, Math.max(win.y0, 0) - oy);
  v.x0 = Math.max(0, Math.max(win.x0, 0) - ox);
  v.y1 = Math.min(S, Math.min(win.y0 + win.height, win.imageHeight) - oy);
  v.x1 = Math.min(S, Math.min(win.x0 + win.width, win.imageWidth) - ox);
  if (v.y1 < v.y0) v.y1 = v.y0;
  if (v.x1 < v.x0) v.x1 = v.x0;

  // Nucleus: only its bounding box can hold the id.
  const scan = s.dBox; // reused as a temporary rect here
  cropMask(win.nucleus, win, oy, ox, cell.id, inCrop(cell, oy, ox, v, scan), S, s.nMask, s.nBox);
  let cytosolMissing = false;
  if (hasCyto) {
    // Where the plan knows the cytosol's box, only that part of the crop can hold the id.
    const b = cell.cytosolBox;
    cropMask(win.cytosol as LabelPlane, win, oy, ox, cell.id, b ? inCrop(b, oy, ox, v, scan) : v, S, s.cMask, s.cBox);
    cytosolMissing = isEmpty(s.cBox);
  }

  if (params.preset === "classic") classic(win, oy, ox, s, hasCyto, out);
  else scportrait(win, oy, ox, s, hasCyto, out);
  return { cytosolMissing };
}
