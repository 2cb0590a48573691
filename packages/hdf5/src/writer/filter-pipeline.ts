// Filter pipeline message (0x000B), version 1, with the names and client data
// h5py writes: shuffle (id 2, element size), deflate (id 1, level),
// lzf (id 32000: filter version 4, liblzf version 0x0105, chunk bytes).
import { Bytes, pad8, textEncoder } from "./bytes.js";

/**
 * A filter of a dataset's pipeline. Deflate's `strategy` is the encoder's
 * business only (not stored; every inflate reads it): "rle" finds runs of a
 * repeated byte only, faster than level 1's string matching and, on images
 * with large zero areas, about as small.
 */
export type H5Filter = { id: "shuffle" } | { id: "deflate"; level: number; strategy?: "default" | "rle" } | { id: "lzf" };

export const FILTER_IDS = { deflate: 1, shuffle: 2, lzf: 32000 } as const;

export function filterClientData(f: H5Filter, elementSize: number, chunkBytes: number): number[] {
  switch (f.id) {
    case "shuffle":
      return [elementSize];
    case "deflate":
      return [f.level];
    case "lzf":
      return [4, 0x0105, chunkBytes];
  }
}

export function encodeFilterPipeline(filters: readonly H5Filter[], elementSize: number, chunkBytes: number): Uint8Array {
  const out = new Bytes(64).u8(1).u8(filters.length).zeros(6);
  for (const f of filters) {
    const name = textEncoder.encode(f.id);
    const cd = filterClientData(f, elementSize, chunkBytes);
    const nameLen = pad8(name.length + 1);
    out.u16(FILTER_IDS[f.id]).u16(nameLen).u16(1 /* optional, as h5py sets it */).u16(cd.length);
    out.bytes(name).zeros(nameLen - name.length);
    for (const v of cd) out.u32(v);
    if (cd.length % 2) out.u32(0);
  }
  return out.finish();
}
