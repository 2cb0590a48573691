// Dataspace message (0x0001), version 1: rank 0 is a scalar; max dims always
// present for simple spaces, as h5py writes them. null in maxshape = unlimited.
import { Bytes, UNDEF } from "./bytes.js";

export function encodeDataspace(shape: readonly number[], maxshape?: readonly (number | null)[]): Uint8Array {
  const out = new Bytes(16 + shape.length * 16);
  const rank = shape.length;
  out.u8(1).u8(rank).u8(rank > 0 ? 1 : 0).u8(0).u32(0);
  for (const d of shape) out.u64(d);
  if (rank > 0) for (let i = 0; i < rank; i++) {
    const m = maxshape ? maxshape[i] : shape[i];
    out.u64(m === null ? UNDEF : m);
  }
  return out.finish();
}
