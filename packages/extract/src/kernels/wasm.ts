// The JavaScript side of the WebAssembly kernels (assembly/index.ts): one
// instance per Scratch, its memory sized once for the crop size, and the
// scratch planes as views of it, so the JavaScript kernel (the masks' crop)
// and the WebAssembly ones (holes, dilation, blur, crops of a band held here,
// quantiles, scaling, float16) work on the same buffers without copies.

import type { GaussianKernel } from "./gaussian.js";
import { growRect, isEmpty, type Rect } from "./rect.js";
import { EXTRACT_KERNELS_WASM } from "./wasm.generated.js";

/** Which kernels extractCell runs: WebAssembly SIMD ("wasm"), JavaScript ("js"), or wasm where it is supported ("auto"). */
export type KernelChoice = "auto" | "wasm" | "js";

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly or its SIMD is not available. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly !== "object") return null;
  const text = atob(EXTRACT_KERNELS_WASM);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  // validate() is false on engines without SIMD (the module uses v128); an
  // engine that refuses to compile synchronously here (a browser's main
  // thread may) gets the JavaScript kernels too
  try {
    if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether the WebAssembly SIMD kernels can run here. */
export function wasmKernelsAvailable(): boolean {
  return kernelModule() !== null;
}

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  blurRows(mask: number, height: number, width: number, by0: number, by1: number, bx0: number, bx1: number, sx0: number, sx1: number, r: number, cum: number, off: number, tmp: number): void;
  blurColumns(height: number, width: number, by0: number, by1: number, sy0: number, sy1: number, sx0: number, sx1: number, r: number, pad: number, ws: number, cum: number, off: number, total: number, tmp: number, out: number): void;
  qReset(low: number, high: number, kLo: number, kHi: number): void;
  qPushZeros(count: number): void;
  qPushRows(values: number, stride: number, rows: number, cols: number): void;
  qSelectInt(values: number, stride: number, rows: number, cols: number, wide: number, zeros: number, kLo: number, kHi: number, ints: number, low: number, high: number): void;
  normWeight(x: number, w: number, f: number, S: number, ry0: number, ry1: number, rx0: number, rx1: number, nlo: number, inv: number, loClip: number, hiClip: number, mnmx: number): void;
  writeScaled(f: number, half: number, S: number, ry0: number, ry1: number, rx0: number, rx1: number, sub: number, mul: number, plain: number, outside: number): void;
  weigh(x: number, w: number, f: number, S: number, ry0: number, ry1: number, rx0: number, rx1: number): void;
  clipScale(f: number, S: number, ry0: number, ry1: number, rx0: number, rx1: number, lo: number, inv: number): void;
  fillHoles(mask: number, width: number, y0: number, y1: number, x0: number, x1: number, stack: number): void;
  dilateDisk(
    src: number, dst: number, height: number, width: number,
    by0: number, by1: number, bx0: number, bx1: number, sy0: number, sy1: number, sx0: number, sx1: number,
    half: number, r: number,
  ): void;
  cropWiden(
    kind: number, plane: number, width: number, dy: number, dx: number, x: number, S: number,
    ry0: number, ry1: number, rx0: number, rx1: number, vy0: number, vy1: number, vx0: number, vx1: number,
  ): void;
}

/** The pixel types cropWiden reads in place (its `kind`): those float32 holds exactly. */
const CROP_KINDS = [Uint16Array, Uint8Array, Float32Array, Int16Array, Int8Array] as const;
type CropPlane = InstanceType<(typeof CROP_KINDS)[number]>;

/** A plane of `bytes` bytes in the room for a window: each starts 16-byte aligned. */
const planeRoom = (bytes: number): number => (bytes + 15) & ~15;

/** The room (WasmKernels' windowBytes) that loadChannels needs for `channels` planes of `pixels` elements of `bytesPerElement` bytes. */
export function windowRoom(channels: number, pixels: number, bytesPerElement: number): number {
  return channels * planeRoom(pixels * bytesPerElement);
}

/** cropWiden's `kind` of a plane that lies in this memory, or -1. */
function cropKind(plane: ArrayLike<number>): number {
  for (let k = 0; k < CROP_KINDS.length; k++) if (plane instanceof CROP_KINDS[k]) return k;
  return -1;
}

/** Zero weights on each side of the kernel's table: the column pass sums eight rows per step. */
const WPAD = 8;
/** Entries of each quantile list (the JavaScript selector's longest list). */
export const WASM_LIST = 96;

/** A float32 plane in the module's memory: its view and its byte address. */
export interface Plane32 {
  a: Float32Array;
  p: number;
}

/**
 * One instance with the planes of one crop size S: the masks (uint8), the
 * blur's transposed pass (tmp), the two weights, the channel copy (x), the
 * working plane (f), the float16 plane handed out, the kernel tables and the
 * quantile lists.
 */
export class WasmKernels {
  readonly x: Exports;
  readonly nMask: Uint8Array;
  readonly cMask: Uint8Array;
  readonly dMask: Uint8Array;
  readonly tmp: Plane32;
  readonly wN: Plane32;
  readonly wC: Plane32;
  readonly xbuf: Plane32;
  readonly fbuf: Plane32;
  readonly half: Uint16Array;
  readonly halfPtr: number;
  /** An integer channel's crop as it is (uint16 or uint8 view of one region), before cropIn widens it. */
  readonly stage16: Uint16Array;
  readonly stage8: Uint8Array;
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly mnmx: Float64Array;
  private readonly ptrs = new Map<ArrayBufferView, number>();
  private readonly cumPtr: number;
  /** The kernel's float32 weights, each splat over a 16-byte vector, WPAD zeros each side. */
  private readonly wsPtr: number;
  readonly lowPtr: number;
  readonly highPtr: number;
  readonly mnmxPtr: number;
  /** The integer selection's uint16 lists (qSelectInt): 2 x 12 vectors. */
  private readonly intListsPtr: number;
  /** Room for a window's channel planes (loadChannels), windowBytes long. */
  private readonly windowPtr: number;
  /** The dilation disk's half-widths (int32) and radius. */
  private readonly diskPtr: number;
  /** Hole filling's stack: S * S int32. */
  private readonly stackPtr: number;
  private readonly radius: number;

  /**
   * `windowBytes`: room kept for the channel planes of a window of the slide
   * (loadChannels), so crops are read in place rather than copied row by row;
   * the memory is sized once here (growing it would detach the planes' views).
   */
  constructor(
    module: WebAssembly.Module,
    readonly S: number,
    readonly kernel: GaussianKernel,
    halfWidths: Int32Array,
    readonly windowBytes = 0,
  ) {
    this.x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    const n = S * S;
    const r = kernel.radius;
    let at = (this.x.heapBase() + 15) & ~15;
    const take = (bytes: number) => {
      const p = at;
      at += (bytes + 15) & ~15;
      return p;
    };
    const pN = take(n);
    const pC = take(n);
    const pD = take(n);
    const p32 = [0, 1, 2, 3, 4].map(() => take(4 * n));
    const pHalf = take(2 * n);
    const pStage = take(2 * n);
    this.cumPtr = take(8 * kernel.cum.length);
    const wlen = 2 * r + 1 + 2 * WPAD;
    this.wsPtr = take(16 * wlen);
    this.lowPtr = take(8 * WASM_LIST);
    this.highPtr = take(8 * WASM_LIST);
    this.mnmxPtr = take(16);
    this.intListsPtr = take(2 * 16 * Math.ceil(WASM_LIST / 8));
    this.diskPtr = take(4 * halfWidths.length);
    this.stackPtr = take(4 * n);
    this.radius = (halfWidths.length - 1) >> 1;
    this.windowPtr = take(windowBytes);
    const mem = this.x.memory;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    const plane = (p: number): Plane32 => ({ a: new Float32Array(buf, p, n), p });
    this.nMask = new Uint8Array(buf, pN, n);
    this.cMask = new Uint8Array(buf, pC, n);
    this.dMask = new Uint8Array(buf, pD, n);
    for (const [m, p] of [
      [this.nMask, pN],
      [this.cMask, pC],
      [this.dMask, pD],
    ] as const)
      this.ptrs.set(m, p);
    [this.tmp, this.wN, this.wC, this.xbuf, this.fbuf] = p32.map(plane);
    this.half = new Uint16Array(buf, pHalf, n);
    this.halfPtr = pHalf;
    this.stage16 = new Uint16Array(buf, pStage, n);
    this.stage8 = new Uint8Array(buf, pStage, n);
    new Float64Array(buf, this.cumPtr, kernel.cum.length).set(kernel.cum);
    const ws = new Float32Array(buf, this.wsPtr, 4 * wlen);
    ws.fill(0);
    for (let k = 0; k <= 2 * r; k++) ws.fill(kernel.weights[k], 4 * (k + WPAD), 4 * (k + WPAD + 1));
    this.low = new Float64Array(buf, this.lowPtr, WASM_LIST);
    this.high = new Float64Array(buf, this.highPtr, WASM_LIST);
    this.mnmx = new Float64Array(buf, this.mnmxPtr, 2);
    new Int32Array(buf, this.diskPtr, halfWidths.length).set(halfWidths);
  }

  /** fillHoles (fill-holes.ts) of one of the masks, in place: the same bytes. */
  fillHoles(mask: Uint8Array, box: Rect): void {
    this.x.fillHoles(this.ptrs.get(mask) as number, this.S, box.y0, box.y1, box.x0, box.x1, this.stackPtr);
  }

  /** dilateDisk (dilate.ts) of one mask into another, both of this memory: the same bytes. */
  dilateDisk(src: Uint8Array, dst: Uint8Array, box: Rect, support: Rect): Rect {
    const S = this.S;
    growRect(box, this.radius, S, S, support);
    if (isEmpty(box)) return support;
    this.x.dilateDisk(this.ptrs.get(src) as number, this.ptrs.get(dst) as number, S, S, box.y0, box.y1, box.x0, box.x1, support.y0, support.y1, support.x0, support.x1, this.diskPtr, this.radius);
    return support;
  }

  /**
   * The planes copied into the room kept for a window (one copy each), as
   * views there, which cropIn reads in place; null when they do not fit or a
   * plane's type is not one cropWiden reads.
   */
  loadChannels(planes: readonly ArrayLike<number>[]): CropPlane[] | null {
    let at = this.windowPtr;
    const end = this.windowPtr + this.windowBytes;
    const out: CropPlane[] = [];
    for (const plane of planes) {
      const kind = cropKind(plane);
      if (kind < 0) return null;
      const T = CROP_KINDS[kind];
      if (at + plane.length * T.BYTES_PER_ELEMENT > end) return null;
      const view = new T(this.x.memory.buffer, at, plane.length);
      view.set(plane as CropPlane);
      out.push(view);
      at += planeRoom(plane.length * T.BYTES_PER_ELEMENT);
    }
    return out;
  }

  /**
   * A channel's crop over r into the float32 plane xbuf, when the channel
   * lies in this memory (loadChannels): crop pixel (y, x) is plane pixel
   * (y + dy, x + dx) of a plane `width` wide, read only inside `valid`
   * (zeros elsewhere). False when the plane lies elsewhere.
   */
  cropIn(plane: ArrayLike<number>, width: number, dy: number, dx: number, r: Rect, valid: Rect): boolean {
    if (!ArrayBuffer.isView(plane) || plane.buffer !== this.x.memory.buffer) return false;
    const kind = cropKind(plane);
    if (kind < 0) return false;
    this.x.cropWiden(kind, plane.byteOffset, width, dy, dx, this.xbuf.p, this.S, r.y0, r.y1, r.x0, r.x1, valid.y0, valid.y1, valid.x0, valid.x1);
    return true;
  }

  /**
   * The quantile lists (low / high) of a crop of n values whose channel lies
   * in this memory (loadChannels): the crop's valid part (crop pixel (y, x) is
   * plane pixel (y + dy, x + dx) of a plane `width` wide) scanned where it
   * lies, as uint16, uint8 or float32, and zeros for the rest, so the crop
   * need not be widened to float32 first. The lists hold the same values in
   * whatever order they come. False when the plane lies elsewhere or is of
   * another type.
   */
  selectIn(plane: ArrayLike<number>, width: number, dy: number, dx: number, valid: Rect, n: number, kLo: number, kHi: number): boolean {
    if (!ArrayBuffer.isView(plane) || plane.buffer !== this.x.memory.buffer) return false;
    const kind = cropKind(plane);
    if (kind > 2) return false;
    const x = this.x;
    const rows = isEmpty(valid) ? 0 : valid.y1 - valid.y0;
    const cols = isEmpty(valid) ? 0 : valid.x1 - valid.x0;
    const at = plane.byteOffset + ((valid.y0 + dy) * width + valid.x0 + dx) * CROP_KINDS[kind].BYTES_PER_ELEMENT;
    if (kind === 2) {
      x.qReset(this.lowPtr, this.highPtr, kLo, kHi);
      x.qPushZeros(n - rows * cols);
      if (rows > 0) x.qPushRows(at, width, rows, cols);
    } else x.qSelectInt(at, width, rows, cols, kind === 0 ? 1 : 0, n - rows * cols, kLo, kHi, this.intListsPtr, this.lowPtr, this.highPtr);
    return true;
  }

  /**
   * blurBinary (gaussian.ts) of one of the three masks into the float32
   * plane `out`; returns `support`. Same values, bit for bit.
   */
  blurBinary(mask: Uint8Array, box: Rect, out: Plane32, support: Rect): Rect {
    const S = this.S;
    const k = this.kernel;
    growRect(box, k.radius, S, S, support);
    if (isEmpty(box)) return support;
    const m = this.ptrs.get(mask) as number;
    const x = this.x;
    x.blurRows(m, S, S, box.y0, box.y1, box.x0, box.x1, support.x0, support.x1, k.radius, this.cumPtr, k.offset, this.tmp.p);
    x.blurColumns(S, S, box.y0, box.y1, support.y0, support.y1, support.x0, support.x1, k.radius, WPAD, this.wsPtr, this.cumPtr, k.offset, k.total, this.tmp.p, out.p);
    return support;
  }
}
