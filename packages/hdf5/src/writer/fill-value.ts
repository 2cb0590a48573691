// Fill value message (0x0005), version 2, as h5py writes it by default: the
// library's default fill (zeros), allocation late for contiguous / incremental
// for chunked, fill time "if set" (contiguous) or "at allocation" (chunked, vlen).
import { Bytes } from "./bytes.js";

export function encodeFillValue(chunked: boolean, vlen: boolean): Uint8Array {
  const alloc = chunked ? 3 : 2;
  const fillTime = chunked || vlen ? 0 : 2;
  return new Bytes(8).u8(2).u8(alloc).u8(fillTime).u8(1).u32(0).finish();
}
