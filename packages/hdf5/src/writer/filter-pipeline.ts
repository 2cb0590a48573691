// Filter pipeline message (0x000B), version 1, with the names and client data
// h5py writes (each filter's ids and client data: filters/registry.ts).
import { FILTER_IDS, filterClientData, type H5Filter } from "../filters/registry.js";
import { Bytes, pad8, textEncoder } from "./bytes.js";

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
