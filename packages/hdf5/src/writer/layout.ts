// Data layout message (0x0008), version 3: contiguous (address, size) or
// chunked with a version-1 B-tree chunk index.
import { Bytes, UNDEF } from "./bytes.js";

export function encodeContiguousLayout(address: number, size: number): Uint8Array {
  return new Bytes(24).u8(3).u8(1).u64(size === 0 ? UNDEF : address).u64(size).finish();
}

/** `chunks` are the chunk dims; the index gets one more dim, the element size. */
export function encodeChunkedLayout(btreeAddress: number, chunks: readonly number[], elementSize: number): Uint8Array {
  const out = new Bytes(32).u8(3).u8(2).u8(chunks.length + 1).u64(btreeAddress);
  for (const c of chunks) out.u32(c);
  out.u32(elementSize);
  return out.finish();
}
