// JPEG 2000 tiles of a slide (TIFF compression 34712, 10x Xenium's morphology
// images; 33003, bfconvert's) for geotiff in the page: OpenJPEG compiled to
// WebAssembly, its module and .wasm fetched from the page's assets the first
// time such a tile is read. A decoder object a tile: one that failed on a stream keeps handing
// back the previous tile's samples (extract's reader does the same).
/// <reference path="./codec-openjpeg.d.ts" />
import wasmUrl from "@cornerstonejs/codec-openjpeg/decodewasm?url";
import { addDecoder, BaseDecoder } from "geotiff";

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

let loading: Promise<new () => J2KDecoder> | null = null;

class Jpeg2000Decoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    loading ??= import("@cornerstonejs/codec-openjpeg/decodewasmjs").then(({ default: openJpeg }) =>
      openJpeg({ locateFile: () => wasmUrl, print: () => {}, printErr: () => {} }),
    ).then((m) => m.J2KDecoder as new () => J2KDecoder);
    const Decoder = await loading;
    const d = new Decoder();
    try {
      d.getEncodedBuffer(buffer.byteLength).set(new Uint8Array(buffer));
      d.decode();
      if (d.getFrameInfo().width === 0) throw new Error("JPEG 2000: not a decodable tile");
      return d.getDecodedBuffer().slice().buffer;
    } finally {
      d.delete();
    }
  }
}

/** Lets geotiff read JPEG 2000 tiles (once; slide.ts calls it before opening a TIFF). */
let added = false;
export function addJpeg2000(): void {
  if (added) return;
  added = true;
  addDecoder([33003, 34712], async () => Jpeg2000Decoder, undefined, false);
}
