// JPEG 2000 chunks of a TIFF: compression 34712 (libtiff's code; what 10x
// Xenium's morphology OME-TIFFs and tifffile write) and 33003 (Bio-Formats'
// "JPEG-2000", what bfconvert writes), each chunk one J2K codestream of one
// sample. Decoded by OpenJPEG compiled to WebAssembly (the decoder build of
// @cornerstonejs/codec-openjpeg). Its module loads asynchronously, once per
// thread: loadJpeg2000() resolves before the first decodeJpeg2000() on it.
// A decoder object a chunk: one that failed on a stream keeps the previous
// stream's size and samples, which a reused decoder would hand back as this
// chunk's. The decoded samples are in the module's (little-endian) byte
// order, not the file's.
/// <reference path="../codec-openjpeg.d.ts" />
import openJpeg from "@cornerstonejs/codec-openjpeg/decodewasmjs";

/** TIFF compression codes of JPEG 2000 codestreams decoded here. */
export const JPEG2000_CODES: readonly number[] = [33003, 34712];

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  getDecodedBuffer(): Uint8Array;
  /** Frees its memory in the module (an Emscripten object). */
  delete(): void;
}

let Decoder: (new () => J2KDecoder) | null = null;
let loading: Promise<void> | null = null;
/** OpenJPEG's "[ERROR] ..." lines of the decode under way (its notes go nowhere, not to the user's terminal). */
let errors: string[] = [];

/** Loads the decoder on this thread (once; later calls return the same promise). */
export function loadJpeg2000(): Promise<void> {
  loading ??= (async () => {
    const note = (line: string) => {
      if (line.includes("[ERROR]")) errors.push(line.replace("[ERROR]", "").trim());
    };
    const module = await openJpeg({ print: note, printErr: note });
    Decoder = module.J2KDecoder as new () => J2KDecoder;
  })();
  return loading;
}

/**
 * One chunk's codestream decoded to `size` bytes of `width` x `height`
 * samples of `bits` bits (a short chunk is zero-filled by the caller's
 * finishChunk). Throws, saying what the stream holds, when it is not one
 * sample of that size and depth.
 */
export function decodeJpeg2000(bytes: Uint8Array, size: number, width: number, height: number, bits: number): Uint8Array {
  if (!Decoder) throw new Error("the JPEG 2000 decoder is not loaded on this thread (loadJpeg2000 first)");
  const decoder = new Decoder();
  try {
    errors = [];
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    try {
      decoder.decode();
    } catch (e) {
      errors.push((e as Error)?.message ?? String(e));
    }
    return decoded(decoder, size, width, height, bits);
  } finally {
    decoder.delete();
  }
}

function decoded(decoder: J2KDecoder, size: number, width: number, height: number, bits: number): Uint8Array {
  const f = decoder.getFrameInfo();
  if (errors.length > 0 || f.width === 0) throw new Error(`JPEG 2000: not a decodable codestream (${errors.join("; ") || "nothing decoded"})`);
  // the decoder gives 1 byte a sample up to 8 bits, 2 up to 16
  const sampleBytes = f.bitsPerSample <= 8 ? 1 : f.bitsPerSample <= 16 ? 2 : 4;
  const got = decoder.getDecodedBuffer();
  if (f.componentCount !== 1 || f.width !== width || f.height > height || sampleBytes !== bits / 8 || got.length !== f.width * f.height * sampleBytes) {
    throw new Error(
      `JPEG 2000: the codestream is ${f.width} x ${f.height}, ${f.componentCount} component(s) of ${f.bitsPerSample} bits; expected one ${width} x ${height} component of ${bits} bits (a chunk of one sample)`,
    );
  }
  const out = new Uint8Array(size);
  out.set(got.subarray(0, Math.min(size, got.length)));
  return out;
}
