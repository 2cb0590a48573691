// Superblock version 0 (96 bytes with 8-byte offsets and lengths), as h5py
// writes by default: group leaf K 4, internal K 16; root symbol table entry
// caching the root group's B-tree and heap addresses.
import { HDF5_SIGNATURE } from "../reader/superblock.js";
import { Bytes, UNDEF } from "./bytes.js";
import { GROUP_INTERNAL_K, GROUP_LEAF_K, writeSymbolEntry } from "./symbol-table.js";

export const SUPERBLOCK_SIZE = 96;

export function encodeSuperblock(endOfFile: number, root: { objectHeader: number; btree: number; heap: number }): Uint8Array {
  const out = new Bytes(SUPERBLOCK_SIZE);
  out.bytes(new Uint8Array(HDF5_SIGNATURE));
  // superblock, free-space, root entry, reserved, shared header versions; offsets, lengths sizes; reserved
  out.u8(0).u8(0).u8(0).u8(0).u8(0).u8(8).u8(8).u8(0);
  out.u16(GROUP_LEAF_K).u16(GROUP_INTERNAL_K).u32(0);
  out.u64(0).u64(UNDEF).u64(endOfFile).u64(UNDEF); // base, free space, EOF, driver info
  writeSymbolEntry(out, 0, { objectHeader: root.objectHeader, stab: { btree: root.btree, heap: root.heap } });
  return out.finish();
}
