// One cell's stack [masks..., channels...] as float16 bits, for both presets
// (docs/algorithm.md). Everything works on the support (the mask's
// box grown by the dilation and the blur radius): outside it the weights are
// exactly 0, so every plane there is one constant. All buffers live in a
// Scratch made once per worker: no allocation per cell.
import type { CellInfo, LabelPlane } from "./kernels/cells.js";
import { dilateDisk, diskHalfWidths } from "./kernels/dilate.js";
import { fillHoles } from "./kernels/fill-holes.js";
import { halfFromBits, toHalf } from "./kernels/float16.js";
import { blurBinary, GaussianKernel } from "./kernels/gaussian.js";
import { listLengths, listsResult, QuantileSelector } from "./kernels/quantile.js";
import { emptyRect, isEmpty, type Rect } from "./kernels/rect.js";
import { type KernelChoice, kernelModule, type Plane32, WASM_LIST, WasmKernels } from "./kernels/wasm.js";
import { type ExtractionParams, ParamError } from "./presets.js";

export type { CellInfo, LabelPlane } from "./kernels/cells.js";
export { CellAccumulator, findCells, roundHalfEven } from "./kernels/cells.js";
export { type KernelChoice, wasmKernelsAvailable } from "./kernels/wasm.js";

export type ChannelPlane = Uint8Array | Uint16Array | Float32Array | ArrayLike<number>;

/**
 * Planes of a window of the slide holding every pixel of the cell's crop that lies
 * in the image: h x w row-major, window origin (y0, x0) in slide coordinates.
 * Crop pixels outside the image (border "pad") are zeros.
 */
export interface Window {
  y0: number;
  x0: number;
  height: number;
  width: number;
  imageHeight: number;
  imageWidth: number;
  channels: ChannelPlane[];
  nucleus: LabelPlane;
  cytosol: LabelPlane | null;
}

/** Number of mask planes stored before the channels: nucleus, and cytosol when given. */
export function maskCount(_params: ExtractionParams, hasCytosol: boolean): number {
  return hasCytosol ? 2 : 1;
}

/**
 * Reusable buffers of one worker for one parameter set. With the WebAssembly
 * kernels (`wasm` set) the planes are views of the module's memory.
 */
export class Scratch {
  readonly S: number;
  readonly kernel: GaussianKernel;
  readonly halfWidths: Int32Array;
  readonly nMask: Uint8Array;
  readonly cMask: Uint8Array;
  readonly dMask: Uint8Array;
  readonly tmp: Float32Array;
  readonly wN: Float32Array;
  readonly wC: Float32Array;
  readonly xbuf: Float32Array;
  readonly fbuf: Float32Array;
  readonly ubuf: Uint32Array;
  readonly stack: Int32Array;
  readonly sel = new QuantileSelector();
  readonly q = new Float64Array(2);
  readonly nBox: Rect = emptyRect();
  readonly cBox: Rect = emptyRect();
  readonly dBox: Rect = emptyRect();
  readonly nSupport: Rect = emptyRect();
  readonly cSupport: Rect = emptyRect();
  readonly valid: Rect = emptyRect();
  readonly wasm: WasmKernels | null;
  /** The whole crop [0, S) x [0, S). */
  readonly full: Rect;
  /** Lengths of the quantile selection's lists for S * S values. */
  readonly lists: [number, number];
  /** The WebAssembly selection holds lists this long. */
  readonly wasmSelect: boolean;

  constructor(
    readonly params: ExtractionParams,
    readonly nChannels: number,
    wasmModule: WebAssembly.Module | null = null,
  ) {
    const S = params.size;
    const n = S * S;
    this.S = S;
    this.kernel = new GaussianKernel(params.sigma, S);
    this.halfWidths = diskHalfWidths(params.dilation);
    const w = wasmModule ? new WasmKernels(wasmModule, S, this.kernel) : null;
    this.wasm = w;
    this.nMask = w ? w.nMask : new Uint8Array(n);
    this.cMask = w ? w.cMask : new Uint8Array(n);
    this.dMask = w ? w.dMask : new Uint8Array(n);
    this.tmp = w ? w.tmp.a : new Float32Array(n);
    this.wN = w ? w.wN.a : new Float32Array(n);
    this.wC = w ? w.wC.a : new Float32Array(n);
    this.xbuf = w ? w.xbuf.a : new Float32Array(n);
    this.fbuf = w ? w.fbuf.a : new Float32Array(n);
    this.ubuf = new Uint32Array(this.fbuf.buffer, this.fbuf.byteOffset, n);
    this.stack = new Int32Array(n);
    this.full = { y0: 0, y1: S, x0: 0, x1: S };
    this.lists = listLengths(n, params.quantiles[0], params.quantiles[1]);
    this.wasmSelect = this.lists[0] <= WASM_LIST && this.lists[1] <= WASM_LIST;
  }
}

/**
 * Buffers for extractCell with these parameters on images of nChannels channels
 * (checked: the nuclear channel must exist). One per worker, reused for every cell.
 * `kernels`: "auto" (default) runs the WebAssembly SIMD kernels where the
 * engine has them and the JavaScript ones elsewhere; "wasm" or "js" forces one
 * (both give the same bits; "wasm" throws where it cannot run).
 */
export function createScratch(params: ExtractionParams, nChannels: number, kernels: KernelChoice = "auto"): Scratch {
  if (params.nuclearChannel >= nChannels)
    throw new ParamError("nuclearChannel", `expected an index below the image's ${nChannels} channel(s), got ${params.nuclearChannel}`);
  const module = kernels === "js" ? null : kernelModule();
  if (kernels === "wasm" && !module) throw new Error("kernels: \"wasm\" needs WebAssembly with SIMD, which this engine lacks; use \"auto\" or \"js\"");
  return new Scratch(params, nChannels, module);
}

const ONE = 0x3c00; // float16 1.0

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

/** Channel values of the crop over rect r into xbuf (S stride), zeros outside the valid part. */
function cropChannel(ch: ChannelPlane, win: Window, oy: number, ox: number, r: Rect, valid: Rect, S: number, xbuf: Float32Array | Uint16Array | Uint8Array): void {
  const cx0 = Math.max(r.x0, valid.x0);
  const cx1 = Math.min(r.x1, valid.x1);
  // a typed array's row is one native copy (with the conversion to float32)
  const typed = ArrayBuffer.isView(ch);
  for (let y = r.y0; y < r.y1; y++) {
    const row = y * S;
    if (y < valid.y0 || y >= valid.y1 || cx1 <= cx0) {
      xbuf.fill(0, row + r.x0, row + r.x1);
      continue;
    }
    if (cx0 > r.x0) xbuf.fill(0, row + r.x0, row + cx0);
    if (cx1 < r.x1) xbuf.fill(0, row + cx1, row + r.x1);
    const src = (oy + y - win.y0) * win.width + (ox - win.x0);
    if (typed) xbuf.set((ch as Uint16Array).subarray(src + cx0, src + cx1), row + cx0);
    else for (let x = cx0; x < cx1; x++) xbuf[row + x] = ch[src + x];
  }
}

/**
 * cropChannel into the WebAssembly float32 plane x: uint16 and uint8 rows are
 * copied as they are (a memory copy) and widened there.
 */
function cropChannelWasm(w: WasmKernels, ch: ChannelPlane, win: Window, oy: number, ox: number, r: Rect, s: Scratch): void {
  const S = s.S;
  if (ch instanceof Uint16Array) {
    cropChannel(ch, win, oy, ox, r, s.valid, S, w.stage16);
    w.x.widenU16(w.stagePtr, w.xbuf.p, S, r.y0, r.y1, r.x0, r.x1);
  } else if (ch instanceof Uint8Array) {
    cropChannel(ch, win, oy, ox, r, s.valid, S, w.stage8);
    w.x.widenU8(w.stagePtr, w.xbuf.p, S, r.y0, r.y1, r.x0, r.x1);
  } else cropChannel(ch, win, oy, ox, r, s.valid, S, w.xbuf.a);
}

/** Channel planes whose every value float32 holds exactly: the WebAssembly kernels read them as float32. */
function exactInFloat32(ch: ChannelPlane): boolean {
  return ch instanceof Uint16Array || ch instanceof Uint8Array || ch instanceof Float32Array || ch instanceof Int16Array || ch instanceof Int8Array;
}

/** numpy.quantile of the channel's whole crop (zeros outside the image). */
function channelQuantiles(ch: ChannelPlane, win: Window, oy: number, ox: number, valid: Rect, s: Scratch): void {
  const S = s.S;
  const sel = s.sel;
  const [q0, q1] = s.params.quantiles;
  sel.reset(S * S, q0, q1);
  const area = isEmpty(valid) ? 0 : (valid.y1 - valid.y0) * (valid.x1 - valid.x0);
  if (area > 0) {
    const src = (oy + valid.y0 - win.y0) * win.width + (ox - win.x0) + valid.x0;
    sel.pushRows(ch, src, win.width, valid.y1 - valid.y0, valid.x1 - valid.x0);
  }
  sel.pushZeros(S * S - area);
  sel.result(s.q);
}

/** A 0/1 mask plane as float16 into out[base ...]. */
function writeBinary(mask: Uint8Array, box: Rect, S: number, out: Uint16Array, base: number): void {
  out.fill(0, base, base + S * S);
  for (let y = box.y0; y < box.y1; y++) {
    const row = y * S;
    for (let x = box.x0; x < box.x1; x++) if (mask[row + x] !== 0) out[base + row + x] = ONE;
  }
}

/**
 * The plane whose values are `outside` everywhere but the rect r, where they are
 * (fbuf - sub) * mul (or fbuf itself when mul is 1 and sub 0), as float16.
 */
function writeScaled(s: Scratch, r: Rect, sub: number, mul: number, outside: number, out: Uint16Array, base: number): void {
  const S = s.S;
  out.fill(toHalf(outside), base, base + S * S);
  const f = s.fbuf;
  const u = s.ubuf;
  const plain = sub === 0 && mul === 1;
  for (let y = r.y0; y < r.y1; y++) {
    const row = y * S;
    const end = row + r.x1;
    for (let i = row + r.x0; i < end; i++) {
      if (!plain) f[i] = (f[i] - sub) * mul; // rounded to float32 by the store
      const a = u[i];
      let h: number;
      if (a >= 0x38800000) {
        // positive normal halfs inline; negative, huge, inf, nan through halfFromBits
        h = a < 0x477ff000 ? (a - 0x37fff001 + ((a >>> 13) & 1)) >>> 13 : halfFromBits(a);
      } else {
        // below 2^-14 (blur tails): adding 0.5 in float32 rounds the value to the
        // subnormal half's grid, half to even, and leaves it in the low bits
        f[i] += 0.5;
        h = u[i] - 0x3f000000;
      }
      out[base + i] = h;
    }
  }
}

function area(r: Rect): number {
  return isEmpty(r) ? 0 : (r.y1 - r.y0) * (r.x1 - r.x0);
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
  scan.y0 = Math.max(v.y0, cell.y0 - oy);
  scan.y1 = Math.min(v.y1, cell.y1 - oy);
  scan.x0 = Math.max(v.x0, cell.x0 - ox);
  scan.x1 = Math.min(v.x1, cell.x1 - ox);
  if (scan.y1 < scan.y0) scan.y1 = scan.y0;
  if (scan.x1 < scan.x0) scan.x1 = scan.x0;
  cropMask(win.nucleus, win, oy, ox, cell.id, scan, S, s.nMask, s.nBox);
  let cytosolMissing = false;
  if (hasCyto) {
    cropMask(win.cytosol as LabelPlane, win, oy, ox, cell.id, v, S, s.cMask, s.cBox);
    cytosolMissing = isEmpty(s.cBox);
  }

  if (params.preset === "classic") classic(win, oy, ox, s, hasCyto, out);
  else scportrait(win, oy, ox, s, hasCyto, out);
  return { cytosolMissing };
}

function classic(win: Window, oy: number, ox: number, s: Scratch, hasCyto: boolean, out: Uint16Array): void {
  const S = s.S;
  const SS = S * S;
  const nM = hasCyto ? 2 : 1;
  const wasm = s.wasm;
  writeBinary(s.nMask, s.nBox, S, out, 0);
  if (wasm) wasm.blurBinary(s.nMask, s.nBox, wasm.wN, s.nSupport);
  else blurBinary(s.nMask, S, S, s.nBox, s.kernel, s.tmp, s.wN, s.nSupport);
  if (hasCyto) {
    fillHoles(s.cMask, S, s.cBox, s.stack);
    writeBinary(s.cMask, s.cBox, S, out, SS);
    dilateDisk(s.cMask, s.dMask, S, S, s.cBox, s.halfWidths, s.dBox);
    if (wasm) wasm.blurBinary(s.dMask, s.dBox, wasm.wC, s.cSupport);
    else blurBinary(s.dMask, S, S, s.dBox, s.kernel, s.tmp, s.wC, s.cSupport);
  }
  const f = s.fbuf;
  for (let k = 0; k < win.channels.length; k++) {
    const ch = win.channels[k];
    const nuclear = k === s.params.nuclearChannel || !hasCyto;
    const W = nuclear ? s.wN : s.wC;
    const r = nuclear ? s.nSupport : s.cSupport;
    const base = (nM + k) * SS;
    if (isEmpty(r)) {
      out.fill(0, base, base + SS);
      continue;
    }
    if (wasm && exactInFloat32(ch)) {
      classicChannelWasm(wasm, ch, win, oy, ox, s, nuclear ? wasm.wN : wasm.wC, r, out, base);
      continue;
    }
    channelQuantiles(ch, win, oy, ox, s.valid, s);
    const lo = s.q[0];
    const hi = s.q[1];
    // Read the slide directly where the support lies inside the image (the usual
    // case); otherwise through a zero-padded copy.
    const v = s.valid;
    const direct = r.y0 >= v.y0 && r.y1 <= v.y1 && r.x0 >= v.x0 && r.x1 <= v.x1;
    let src: ChannelPlane = s.xbuf;
    let srcOff = 0; // src index = crop index + srcOff (per row for the direct case)
    let srcStride = S;
    if (direct) {
      src = ch;
      srcStride = win.width;
      srcOff = (oy - win.y0) * win.width + (ox - win.x0);
    } else {
      cropChannel(ch, win, oy, ox, r, v, S, s.xbuf);
    }
    // normalise, clip, weight; min / max of the products (0 outside the support)
    let mn = area(r) < SS ? 0 : Number.POSITIVE_INFINITY;
    let mx = area(r) < SS ? 0 : Number.NEGATIVE_INFINITY;
    const scale = hi !== lo;
    const inv = scale ? 1 / (hi - lo) : 1;
    const nlo = scale ? lo : 0;
    const hiClip = scale ? 1 : Number.POSITIVE_INFINITY;
    const loClip = scale ? 0 : Number.NEGATIVE_INFINITY;
    for (let y = r.y0; y < r.y1; y++) {
      const row = y * S;
      const so = y * srcStride + srcOff - row; // src index of crop index i is i + so
      const end = row + r.x1;
      for (let i = row + r.x0; i < end; i++) {
        let t = (src[i + so] - nlo) * inv;
        t = t < loClip ? loClip : t > hiClip ? hiClip : t;
        t *= W[i];
        f[i] = t;
        if (t < mn) mn = t;
        if (t > mx) mx = t;
      }
    }
    // min / max of what is stored (float32), as the reference's min-max sees it
    mn = Math.fround(mn);
    mx = Math.fround(mx);
    if (mx !== mn) writeScaled(s, r, mn, 1 / (mx - mn), (0 - mn) / (mx - mn), out, base);
    else writeScaled(s, r, 0, 1, 0, out, base);
  }
}

/** The classic preset's channel step (the loop above) on the WebAssembly kernels: the same bits. */
function classicChannelWasm(w: WasmKernels, ch: ChannelPlane, win: Window, oy: number, ox: number, s: Scratch, W: Plane32, r: Rect, out: Uint16Array, base: number): void {
  const S = s.S;
  // the whole crop as float32, zeros outside the image: the quantiles' values
  cropChannelWasm(w, ch, win, oy, ox, s.full, s);
  if (s.wasmSelect) {
    w.x.qReset(w.lowPtr, w.highPtr, s.lists[0], s.lists[1]);
    w.x.qPushRows(w.xbuf.p, S, S, S);
    listsResult(w.low, w.high, S * S, s.params.quantiles[0], s.params.quantiles[1], s.q);
  } else {
    s.sel.reset(S * S, s.params.quantiles[0], s.params.quantiles[1]);
    s.sel.push(s.xbuf, 0, S * S);
    s.sel.result(s.q);
  }
  const lo = s.q[0];
  const hi = s.q[1];
  const scale = hi !== lo;
  w.x.normWeight(
    w.xbuf.p,
    W.p,
    w.fbuf.p,
    S,
    r.y0,
    r.y1,
    r.x0,
    r.x1,
    scale ? lo : 0,
    scale ? 1 / (hi - lo) : 1,
    scale ? 0 : Number.NEGATIVE_INFINITY,
    scale ? 1 : Number.POSITIVE_INFINITY,
    w.mnmxPtr,
  );
  const mn = Math.fround(w.mnmx[0]);
  const mx = Math.fround(w.mnmx[1]);
  if (mx !== mn) writeScaledWasm(w, w.fbuf, r, mn, 1 / (mx - mn), (0 - mn) / (mx - mn), out, base);
  else writeScaledWasm(w, w.fbuf, r, 0, 1, 0, out, base);
}

/** writeScaled on the WebAssembly kernels, from the float32 plane f (left as it is). */
function writeScaledWasm(w: WasmKernels, f: Plane32, r: Rect, sub: number, mul: number, outside: number, out: Uint16Array, base: number): void {
  const S = w.S;
  w.x.writeScaled(f.p, w.halfPtr, S, r.y0, r.y1, r.x0, r.x1, sub, mul, sub === 0 && mul === 1 ? 1 : 0, toHalf(outside));
  out.set(w.half, base);
}

function scportrait(win: Window, oy: number, ox: number, s: Scratch, hasCyto: boolean, out: Uint16Array): void {
  const S = s.S;
  const SS = S * S;
  const nM = hasCyto ? 2 : 1;
  const wasm = s.wasm;
  // Soft masks: gaussian(fill_holes(mask == id), sigma).
  fillHoles(s.nMask, S, s.nBox, s.stack);
  if (wasm) {
    wasm.blurBinary(s.nMask, s.nBox, wasm.wN, s.nSupport);
    writeScaledWasm(wasm, wasm.wN, s.nSupport, 0, 1, 0, out, 0);
  } else {
    blurBinary(s.nMask, S, S, s.nBox, s.kernel, s.tmp, s.wN, s.nSupport);
    copyPlane(s.wN, s.nSupport, s);
    writeScaled(s, s.nSupport, 0, 1, 0, out, 0);
  }
  if (hasCyto) {
    fillHoles(s.cMask, S, s.cBox, s.stack);
    if (wasm) {
      wasm.blurBinary(s.cMask, s.cBox, wasm.wC, s.cSupport);
      writeScaledWasm(wasm, wasm.wC, s.cSupport, 0, 1, 0, out, SS);
    } else {
      blurBinary(s.cMask, S, S, s.cBox, s.kernel, s.tmp, s.wC, s.cSupport);
      copyPlane(s.wC, s.cSupport, s);
      writeScaled(s, s.cSupport, 0, 1, 0, out, SS);
    }
  }
  const W = hasCyto ? s.wC : s.wN;
  const r = hasCyto ? s.cSupport : s.nSupport;
  const f = s.fbuf;
  const x = s.xbuf;
  const sel = s.sel;
  const [q0, q1] = s.params.quantiles;
  for (let k = 0; k < win.channels.length; k++) {
    const base = (nM + k) * SS;
    if (isEmpty(r)) {
      out.fill(0, base, base + SS);
      continue;
    }
    const ch = win.channels[k];
    // WebAssembly for the channels float32 holds exactly (the same bits as below)
    const w = wasm && exactInFloat32(ch) ? wasm : null;
    if (w) cropChannelWasm(w, ch, win, oy, ox, r, s);
    else cropChannel(ch, win, oy, ox, r, s.valid, S, x);
    if (w) {
      w.x.weigh(w.xbuf.p, (hasCyto ? w.wC : w.wN).p, w.fbuf.p, S, r.y0, r.y1, r.x0, r.x1);
      if (s.wasmSelect) {
        w.x.qReset(w.lowPtr, w.highPtr, s.lists[0], s.lists[1]);
        w.x.qPushZeros(SS - area(r));
        w.x.qPushRows(w.fbuf.p + 4 * (r.y0 * S + r.x0), S, r.y1 - r.y0, r.x1 - r.x0);
        listsResult(w.low, w.high, SS, q0, q1, s.q);
      } else {
        sel.reset(SS, q0, q1);
        sel.pushZeros(SS - area(r));
        for (let y = r.y0; y < r.y1; y++) sel.push(f, y * S + r.x0, y * S + r.x1);
        sel.result(s.q);
      }
    } else {
      sel.reset(SS, q0, q1);
      sel.pushZeros(SS - area(r));
      for (let y = r.y0; y < r.y1; y++) {
        const row = y * S;
        for (let i = row + r.x0; i < row + r.x1; i++) f[i] = x[i] * W[i];
        sel.push(f, row + r.x0, row + r.x1);
      }
      sel.result(s.q);
    }
    const lo = s.q[0];
    const hi = s.q[1];
    if (hi === lo) {
      // left unscaled
      if (w) writeScaledWasm(w, w.fbuf, r, 0, 1, 0, out, base);
      else writeScaled(s, r, 0, 1, 0, out, base);
      continue;
    }
    const inv = 1 / (hi - lo);
    const o = -lo * inv;
    const outside = o < 0 ? 0 : o > 1 ? 1 : o;
    if (w) {
      w.x.clipScale(w.fbuf.p, S, r.y0, r.y1, r.x0, r.x1, lo, inv);
      writeScaledWasm(w, w.fbuf, r, 0, 1, outside, out, base);
      continue;
    }
    for (let y = r.y0; y < r.y1; y++) {
      const row = y * S;
      for (let i = row + r.x0; i < row + r.x1; i++) {
        const t = (f[i] - lo) * inv;
        f[i] = t < 0 ? 0 : t > 1 ? 1 : t;
      }
    }
    writeScaled(s, r, 0, 1, outside, out, base);
  }
}

function copyPlane(src: Float32Array, r: Rect, s: Scratch): void {
  const S = s.S;
  for (let y = r.y0; y < r.y1; y++) s.fbuf.set(src.subarray(y * S + r.x0, y * S + r.x1), y * S + r.x0);
}
