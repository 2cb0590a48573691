// The steps of one cell's stack that both presets share (presets/classic.ts,
// presets/scportrait.ts): the reusable buffers, the crop of a channel out of
// the slide's window, its quantiles, and the float16 planes written out.
// Everything works on the support (the mask's box grown by the dilation and
// the blur radius): outside it the weights are exactly 0, so every plane
// there is one constant.
import type { LabelPlane } from "./kernels/cells.js";
import { diskHalfWidths } from "./kernels/dilate.js";
import { halfFromBits, toHalf } from "./kernels/float16.js";
import { GaussianKernel } from "./kernels/gaussian.js";
import { listLengths, QuantileSelector } from "./kernels/quantile.js";
import { emptyRect, isEmpty, type Rect } from "./kernels/rect.js";
import { type Plane32, WASM_LIST, WasmKernels } from "./kernels/wasm.js";
import type { ExtractionParams } from "./presets.js";

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
    windowBytes = 0,
  ) {
    const S = params.size;
    const n = S * S;
    this.S = S;
    this.kernel = new GaussianKernel(params.sigma, S);
    this.halfWidths = diskHalfWidths(params.dilation);
    const w = wasmModule ? new WasmKernels(wasmModule, S, this.kernel, this.halfWidths, windowBytes) : null;
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

  /**
   * The window with its channels copied into the WebAssembly kernels' memory
   * (the room createScratch's windowBytes kept), where each crop is then read
   * in place: one copy a plane for all the cells of the window, instead of a
   * copy a row, channel and cell. The window itself where that room is too
   * small, a plane's type is not read there, or the kernels are JavaScript.
   * The planes stay there until the next loadWindow.
   */
  loadWindow(win: Window): Window {
    const channels = this.wasm?.loadChannels(win.channels);
    return channels ? { ...win, channels } : win;
  }
}

const ONE = 0x3c00; // float16 1.0

/** Channel values of the crop over rect r into xbuf (S stride), zeros outside the valid part. */
export function cropChannel(ch: ChannelPlane, win: Window, oy: number, ox: number, r: Rect, valid: Rect, S: number, xbuf: Float32Array | Uint16Array | Uint8Array): void {
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
export function cropChannelWasm(w: WasmKernels, ch: ChannelPlane, win: Window, oy: number, ox: number, r: Rect, s: Scratch): void {
  const S = s.S;
  // a window loaded into the kernels' memory (Scratch.loadWindow) is read in place
  if (w.cropIn(ch, win.width, oy - win.y0, ox - win.x0, r, s.valid)) return;
  // otherwise integer rows are copied as they are into the stage, itself in
  // that memory, and widened from there by the same kernel
  const stage = ch instanceof Uint16Array ? w.stage16 : ch instanceof Uint8Array ? w.stage8 : null;
  if (!stage) cropChannel(ch, win, oy, ox, r, s.valid, S, w.xbuf.a);
  else {
    cropChannel(ch, win, oy, ox, r, s.valid, S, stage);
    w.cropIn(stage, S, 0, 0, r, r);
  }
}

/** Channel planes whose every value float32 holds exactly: the WebAssembly kernels read them as float32. */
export function exactInFloat32(ch: ChannelPlane): boolean {
  return ch instanceof Uint16Array || ch instanceof Uint8Array || ch instanceof Float32Array || ch instanceof Int16Array || ch instanceof Int8Array;
}

/** numpy.quantile of the channel's whole crop (zeros outside the image). */
export function channelQuantiles(ch: ChannelPlane, win: Window, oy: number, ox: number, valid: Rect, s: Scratch): void {
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
export function writeBinary(mask: Uint8Array, box: Rect, S: number, out: Uint16Array, base: number): void {
  out.fill(0, base, base + S * S);
  for (let y = box.y0; y < box.y1; y++) {
    const row = y * S;
    for (let x = box.x0; x < box.x1; x++) if (mask[row + x] !== 0) out[base + row + x] = ONE;
  }
}

/**
 * The plane whose values are `outside` everywhere but the rect r, where they are
 * (fbuf - sub) * mul, each step in float32 (`sub` and `mul` float32 values; or
 * fbuf itself when mul is 1 and sub 0), as float16.
 */
export function writeScaled(s: Scratch, r: Rect, sub: number, mul: number, outside: number, out: Uint16Array, base: number): void {
  const S = s.S;
  out.fill(toHalf(outside), base, base + S * S);
  const f = s.fbuf;
  const u = s.ubuf;
  const plain = sub === 0 && mul === 1;
  for (let y = r.y0; y < r.y1; y++) {
    const row = y * S;
    const end = row + r.x1;
    for (let i = row + r.x0; i < end; i++) {
      if (!plain) f[i] = Math.fround(f[i] - sub) * mul; // the product rounded to float32 by the store
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

/**
 * How a channel's crop is normalised to its quantiles [lo, hi], as float32
 * values (the WebAssembly kernel normWeight takes them as such): t = clip((x -
 * nlo) * inv, loClip, hiClip). Equal quantiles leave the values as they are.
 */
export function quantileScale(lo: number, hi: number): { nlo: number; inv: number; loClip: number; hiClip: number } {
  if (hi === lo) return { nlo: 0, inv: 1, loClip: Number.NEGATIVE_INFINITY, hiClip: Number.POSITIVE_INFINITY };
  return { nlo: Math.fround(lo), inv: Math.fround(1 / (hi - lo)), loClip: 0, hiClip: 1 };
}

/**
 * The min-max rescale of a plane whose float32 values span [mn, mx], in
 * float32 as writeScaled computes it: sub, mul, and what a 0 becomes (the
 * value outside the support).
 */
export function minMaxScale(mn: number, mx: number): { sub: number; mul: number; outside: number } {
  if (mx === mn) return { sub: 0, mul: 1, outside: 0 };
  const mul = Math.fround(1 / (mx - mn));
  return { sub: mn, mul, outside: Math.fround(Math.fround(0 - mn) * mul) };
}

/** writeScaled on the WebAssembly kernels, from the float32 plane f (left as it is). */
export function writeScaledWasm(w: WasmKernels, f: Plane32, r: Rect, sub: number, mul: number, outside: number, out: Uint16Array, base: number): void {
  const S = w.S;
  w.x.writeScaled(f.p, w.halfPtr, S, r.y0, r.y1, r.x0, r.x1, sub, mul, sub === 0 && mul === 1 ? 1 : 0, toHalf(outside));
  out.set(w.half, base);
}

export function area(r: Rect): number {
  return isEmpty(r) ? 0 : (r.y1 - r.y0) * (r.x1 - r.x0);
}
