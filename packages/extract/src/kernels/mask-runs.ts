// Where the masks' labels change, for the plan's scan (masks.ts): the starts of
// the runs of equal (nucleus, cytosol) label pairs along each row, so the scan
// visits runs, not pixels. Two implementations giving the same starts: the
// WebAssembly kernel (assembly/index.ts maskRuns), which settles four to
// sixteen pixels a step, with the bands read straight into its memory, and
// JavaScript for what it does not take (masks of different pixel sizes, 64-bit
// pixels, engines without WebAssembly SIMD, CELLFOLIO_KERNELS=js).
import { kernelModule } from "./wasm.js";

/** An integer mask plane (or a float one holding integers), as the sources give them. */
export type MaskPlane = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
/** The typed-array constructor of a mask plane's pixel type. */
export type MaskArray = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): MaskPlane; new (length: number): MaskPlane; BYTES_PER_ELEMENT: number };

/** Run starts found per call: the rest comes from the next call, resumed where this one stopped. */
export const RUN_STARTS = 1 << 16;

/**
 * The starts of runs of equal (n, c) in pixels [from, len) of planes of rows
 * `width` long, into `out`: every row's first pixel and every pixel unlike the
 * one before it; at most out.length. Returns how many and where to resume
 * (len when done). `c` null: the nucleus alone.
 */
export function runStarts(n: ArrayLike<number>, c: ArrayLike<number> | null, len: number, width: number, from: number, out: Int32Array): { count: number; resume: number } {
  let k = 0;
  let i = from;
  while (i < len) {
    if (k === out.length) return { count: k, resume: i };
    out[k++] = i;
    const rowEnd = Math.min(len, (Math.floor(i / width) + 1) * width);
    const nv = n[i];
    const cv = c ? c[i] : 0;
    i++;
    if (c) while (i < rowEnd && n[i] === nv && c[i] === cv) i++;
    else while (i < rowEnd && n[i] === nv) i++;
  }
  return { count: k, resume: len };
}

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  maskRuns(n: number, c: number, bytes: number, len: number, width: number, from: number, out: number, cap: number): number;
  maskRunsResume(): number;
}

/**
 * The WebAssembly kernel with `sets` sets of band planes in its memory (the
 * scan reads the next band into one set while it visits the other): a
 * nucleus plane and, with a cytosol type, a cytosol plane of `pixels` each.
 */
export class MaskRunScanner {
  readonly sets: { n: MaskPlane; c: MaskPlane | null }[] = [];
  /** The run starts of the last find(). */
  readonly starts: Int32Array;
  private readonly x: Exports;
  private readonly startsPtr: number;
  private readonly ptrs = new Map<MaskPlane, number>();

  /** A scanner for masks of these pixel types, or null where the kernel does not apply (JavaScript then). */
  static create(nType: MaskArray, cType: MaskArray | null, pixels: number, sets = 2): MaskRunScanner | null {
    const module = kernelModule();
    const bytes = nType.BYTES_PER_ELEMENT;
    // integer pixels compared as bytes; float labels (rare) are compared as numbers, in JavaScript (-0 is 0)
    const integer = (T: MaskArray) => T !== (Float32Array as unknown) && T !== (Float64Array as unknown);
    if (!module || bytes > 4 || !integer(nType) || (cType && (cType.BYTES_PER_ELEMENT !== bytes || !integer(cType)))) return null;
    return new MaskRunScanner(module, nType, cType, pixels, sets);
  }

  private constructor(module: WebAssembly.Module, nType: MaskArray, cType: MaskArray | null, pixels: number, sets: number) {
    this.x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    const bytes = nType.BYTES_PER_ELEMENT;
    const plane = (pixels * bytes + 15) & ~15;
    let at = (this.x.heapBase() + 15) & ~15;
    this.startsPtr = at;
    at += 4 * RUN_STARTS;
    const first = at;
    at += sets * (cType ? 2 : 1) * plane;
    const mem = this.x.memory;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / 65536));
    this.starts = new Int32Array(mem.buffer, this.startsPtr, RUN_STARTS);
    at = first;
    const take = (T: MaskArray) => {
      const view = new T(mem.buffer, at, pixels);
      this.ptrs.set(view, at);
      at += plane;
      return view;
    };
    for (let s = 0; s < sets; s++) this.sets.push({ n: take(nType), c: cType ? take(cType) : null });
  }

  /** runStarts of set `set`'s planes into `starts`, the same starts. */
  find(set: number, len: number, width: number, from: number): { count: number; resume: number } {
    const { n, c } = this.sets[set];
    const count = this.x.maskRuns(this.ptrs.get(n) as number, c ? (this.ptrs.get(c) as number) : 0, n.BYTES_PER_ELEMENT, len, width, from, this.startsPtr, RUN_STARTS);
    return { count, resume: this.x.maskRunsResume() };
  }
}
