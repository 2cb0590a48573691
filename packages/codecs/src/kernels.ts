// The JavaScript side of the WebAssembly kernels: one instance per thread,
// its memory grown to the largest chunk seen and kept. Each call copies its
// input in, runs, and copies the result out (a few % of a call: memory.copy
// runs at >10 GB/s, the codecs at 0.4-3 GB/s), except an input its maker
// wrote straight into the memory (`stage`).

import { bloscHeader } from "./blosc-header.js";

export interface Kernels {
  /** Decodes one raw LZ4 block into `dst`; returns the bytes written. */
  lz4DecodeBlock(src: Uint8Array, dst: Uint8Array): number;
  /** One LZ4 block of `src` into `dst`; the compressed length, or 0 when it does not fit. */
  lz4EncodeBlock(src: Uint8Array, dst: Uint8Array, acceleration?: number): number;
  /** Decodes an LZF stream into `dst`; returns the bytes written. */
  lzfDecode(src: Uint8Array, dst: Uint8Array): number;
  /** Compresses `src` as LZF into `dst`; the compressed length, or 0 when it does not fit. */
  lzfCompress(src: Uint8Array, dst: Uint8Array): number;
  /**
   * Decodes TIFF LZW (compression 5) into `dst`: until its End code, the end
   * of `src`, or `dst` is full; returns the bytes decoded (the rest of `dst`
   * is zeroed: a short stream reads as zeros, as TIFF readers take it).
   */
  lzwDecode(src: Uint8Array, dst: Uint8Array): number;
  /** Byte shuffle of elements of `size` bytes (a tail shorter than one element stays as it is). */
  shuffleBytes(src: Uint8Array, size: number, dst?: Uint8Array): Uint8Array;
  /** Undoes shuffleBytes into `dst` (same length). */
  unshuffle(src: Uint8Array, dst: Uint8Array, size: number): void;
  /**
   * Decodes a blosc 1 frame of lz4 streams (or a memcpyed one); null for
   * frames this decoder leaves to others (zlib, zstd, blosclz, bit shuffle).
   */
  bloscDecode(src: Uint8Array): Uint8Array | null;
  /**
   * bloscDecode straight into `dst` (its length must be the frame's decoded
   * size): false, with `dst` untouched, for frames left to others.
   */
  bloscDecodeInto(src: Uint8Array, dst: Uint8Array): boolean;
  /**
   * A blosc 1 frame of lz4 streams, one a block, byte-shuffled when `shuffle`;
   * into `into` when it fits there (a view of it), as deflateRle.
   */
  bloscEncodeLz4(src: Uint8Array, typesize: number, shuffle: boolean, blocksize: number, acceleration: number, into?: Uint8Array): Uint8Array;
  /**
   * A zlib stream (RFC 1950) of `src` with zlib's run-length parse (Z_RLE):
   * any inflater reads it; made for masked image chunks, mostly runs of zeros.
   * Into `into` when it fits there (the result is then a view of it: no
   * allocation a call), otherwise into a new array; deflateBound(n) always fits.
   */
  deflateRle(src: Uint8Array, into?: Uint8Array): Uint8Array;
  /** Adler-32 of `src`, continuing from `start` (1 for a new stream). */
  adler32(src: Uint8Array, start?: number): number;
  /** The module's memory now (it holds a call's input and output; given back after large calls). */
  memoryBytes(): number;
  /**
   * Room for an input of `bytes` bytes inside the module's memory, as a view
   * to write it into: an encoder called next with a `src` inside the view
   * reads it there instead of copying it in (an extraction worker writes each
   * stack here, then compresses its chunks). Other calls leave it as it is;
   * it holds until the next stage, and stage(0) gives its room back.
   */
  stage(bytes: number): Uint8Array;
}

/**
 * The most bytes deflateRle writes for `n` input bytes: never more than stored
 * blocks (5 bytes each 65,535, and a block starts every 32,768 symbols), the
 * zlib header and checksum, and room for the bit writer's 8-byte stores.
 */
export function deflateBound(n: number): number {
  return n + 10 * Math.ceil(n / 32768) + 32;
}

export function createKernels(wasmBase64: string): Kernels {
  const text = atob(wasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const module = new WebAssembly.Module(bytes);
  let x: any;
  let memory: WebAssembly.Memory;
  let base = 0;
  let heap = new Uint8Array(0);
  // A wasm memory only grows: after one large chunk, a fresh instance gives
  // the memory back once calls are small again (instantiating costs ~50 us).
  const KEEP_BYTES = 64 * 1024 * 1024;
  const start = () => {
    x = new WebAssembly.Instance(module, {}).exports;
    memory = x.memory;
    base = x.workBase();
    heap = new Uint8Array(memory.buffer);
    x.lzfReset();
  };
  start();
  // Copies run 16 bytes at a time and may pass a buffer's end by up to 32.
  const SLACK = 64;

  /** End of the staged input (stage), 0 when none is staged: every call's buffers go after it. */
  let stageEnd = 0;
  const align = (n: number) => (n + 15) & ~15;

  /**
   * Room for buffers of these sizes from the work base (after a staged
   * input); returns their addresses, and whether `src` (the input, `a`
   * bytes) is in place: a view inside the staged input, read where it is.
   */
  const place = (a: number, b: number, c = 0, src?: Uint8Array): [number, number, number, boolean] => {
    const inPlace = stageEnd > 0 && src !== undefined && src.buffer === memory.buffer && src.byteOffset >= base && src.byteOffset + src.length <= stageEnd;
    const from = stageEnd > 0 ? align(stageEnd + SLACK) : base;
    const pa = inPlace ? (src as Uint8Array).byteOffset : from;
    const pb = inPlace ? from : pa + align(a + SLACK);
    const pc = pb + align(b + SLACK);
    const end = pc + c + SLACK;
    // (a staged input lives in this instance's memory: kept while there is one)
    if (stageEnd === 0 && memory.buffer.byteLength > KEEP_BYTES && end < memory.buffer.byteLength / 4) start();
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    if (heap.buffer !== memory.buffer) heap = new Uint8Array(memory.buffer);
    return [pa, pb, pc, inPlace];
  };
  /** The `n` bytes a call wrote at `b`: into `into` where they fit (a view of it), else a new array. */
  const result = (b: number, n: number, into?: Uint8Array): Uint8Array => {
    if (!into || into.length < n) return heap.slice(b, b + n);
    into.set(heap.subarray(b, b + n));
    return into.subarray(0, n);
  };
  /** src into the memory at `a` unless it is there already. */
  const load = (src: Uint8Array, a: number, inPlace: boolean) => {
    if (!inPlace) heap.set(src, a);
  };

  const LZF_ERRORS = [
    "",
    "lzf: output overflow (corrupt stream or wrong chunk size)",
    "lzf: input truncated in a literal run",
    "lzf: input truncated in a back reference",
    "lzf: back reference before the start of the output (corrupt stream)",
  ];

  /**
   * `src` into the memory, `run` on it (input at a, output room at b, as
   * long as `dst`), the `n` bytes it returns out into `dst`; a negative `n`
   * throws `error(n)`.
   */
  const through = (src: Uint8Array, dst: Uint8Array, run: (a: number, b: number) => number, error?: (n: number) => string): number => {
    const [a, b, , inPlace] = place(src.length, dst.length, 0, src);
    load(src, a, inPlace);
    const n = run(a, b);
    if (n < 0) throw new Error(error ? error(n) : `kernel failed (${n})`);
    dst.set(heap.subarray(b, b + n));
    return n;
  };

  /** Elements of `size` bytes to byte planes (shuffle) or back; a tail shorter than one element is copied as it is. */
  const byteShuffle = (kernel: "shuffle" | "unshuffle", src: Uint8Array, dst: Uint8Array, size: number): void => {
    const n = Math.floor(src.length / size);
    if (size <= 1 || n <= 1) {
      dst.set(src);
      return;
    }
    const [a, b, , inPlace] = place(src.length, src.length, 0, src);
    load(src, a, inPlace);
    x[kernel](a, b, n, size);
    dst.set(heap.subarray(b, b + n * size));
    if (n * size < src.length) dst.set(src.subarray(n * size), n * size);
  };

  const bloscDecodeInto = (src: Uint8Array, dst: Uint8Array): boolean => {
    const { nbytes, blocksize } = bloscHeader(src);
    if (nbytes !== dst.length) throw new Error(`blosc: frame holds ${nbytes} bytes, expected ${dst.length}`);
    const [a, b, c] = place(src.length, nbytes, Math.min(blocksize, nbytes));
    heap.set(src, a);
    const n = x.bloscDecode(a, src.length, b, nbytes, c);
    if (n === -2) return false;
    if (n < 0) throw new Error("blosc: corrupt or truncated frame");
    dst.set(heap.subarray(b, b + nbytes));
    return true;
  };

  return {
    memoryBytes: () => memory.buffer.byteLength,
    stage(bytes) {
      stageEnd = 0;
      if (bytes === 0) return heap.subarray(base, base);
      // room for the input and, after it, any call's buffers for an input no
      // larger (its copy, its output, blosc's block): they never grow the
      // memory, which would detach the view
      place(bytes, bytes + deflateBound(bytes) + 65536, bytes);
      stageEnd = base + bytes;
      return heap.subarray(base, base + bytes);
    },
    lz4DecodeBlock: (src, dst) => through(src, dst, (a, b) => x.lz4Decode(a, src.length, b, dst.length), () => "lz4: corrupt block"),
    lz4EncodeBlock: (src, dst, acceleration = 1) =>
      through(src, dst, (a, b) => x.lz4Encode(a, src.length, b, dst.length, Math.max(1, acceleration | 0))),
    lzfDecode: (src, dst) => through(src, dst, (a, b) => x.lzfDecode(a, src.length, b, dst.length), (n) => LZF_ERRORS[-n]),
    lzfCompress: (src, dst) => through(src, dst, (a, b) => x.lzfEncode(a, src.length, b, dst.length)),
    lzwDecode(src, dst) {
      // a last string may run on past dst's end: up to 4096 bytes more
      const [a, b] = place(src.length, dst.length + 4096);
      heap.set(src, a);
      const n = x.lzwDecode(a, src.length, b, dst.length);
      if (n < 0) throw new Error("LZW: a code beyond the table (corrupt stream)");
      dst.set(heap.subarray(b, b + n));
      dst.fill(0, n);
      return n;
    },
    shuffleBytes(src, size, dst = new Uint8Array(src.length)) {
      byteShuffle("shuffle", src, dst, size);
      return dst;
    },
    unshuffle: (src, dst, size) => byteShuffle("unshuffle", src, dst, size),
    bloscDecode(src) {
      const out = new Uint8Array(bloscHeader(src).nbytes);
      return bloscDecodeInto(src, out) ? out : null;
    },
    bloscDecodeInto,
    deflateRle(src, into) {
      const [a, b, , inPlace] = place(src.length, deflateBound(src.length), 0, src);
      load(src, a, inPlace);
      const n = x.deflateRle(a, src.length, b);
      return result(b, n, into);
    },
    adler32(src, start = 1) {
      const [a, , , inPlace] = place(src.length, 0, 0, src);
      load(src, a, inPlace);
      return x.adler32(a, src.length, start) >>> 0;
    },
    bloscEncodeLz4(src, typesize, shuffle, blocksize, acceleration, into) {
      // c-blosc wants a block no larger than the chunk, of whole elements
      blocksize = Math.min(blocksize, src.length);
      blocksize -= blocksize % typesize;
      if (blocksize === 0) blocksize = src.length;
      const nblocks = blocksize === 0 ? 0 : Math.ceil(src.length / blocksize);
      const bound = 16 + 8 * nblocks + src.length;
      const [a, b, c, inPlace] = place(src.length, bound, blocksize, src);
      load(src, a, inPlace);
      const n = x.bloscEncode(a, src.length, b, typesize, shuffle ? 1 : 0, blocksize, Math.max(1, acceleration | 0), c);
      return result(b, n, into);
    },
  };
}
