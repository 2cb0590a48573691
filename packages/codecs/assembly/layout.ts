// Where the encoders keep their hash tables: right after the module's static
// data. The JS side places its buffers from `workBase()` on.

// @ts-ignore: decorator
@lazy export const LZ4_TABLE: usize = (__heap_base + 63) & ~63;
/** lz4: 2^12 positions (u32). */
// @ts-ignore: decorator
@lazy export const LZF_TABLE: usize = LZ4_TABLE + (4 << 12);
/** lzf: 2^14 positions (i32) then 2^14 values (i32: the 3 bytes at each, -1 for none). */
// @ts-ignore: decorator
@lazy export const LZF_VALUES: usize = LZF_TABLE + (4 << 14);
/** deflate: a block's symbols, 2^15 of u16 (and 32 bytes for 16-symbol stores past the end). */
// @ts-ignore: decorator
@lazy export const DEFLATE_SYMS: usize = LZF_VALUES + (4 << 14);
/** lzw: 4096 codes of (address of the string, length << 32) as u64 and a spare slot (a full table's unused entry goes there); the 256 bytes the one-byte codes point at (and 16 for a 16-byte read past them). */
// @ts-ignore: decorator
@lazy export const LZW_TABLE: usize = DEFLATE_SYMS + (2 << 15) + 64;
// @ts-ignore: decorator
@lazy export const LZW_BYTES: usize = LZW_TABLE + (8 << 12) + 16;
// @ts-ignore: decorator
@lazy export const WORK_BASE: usize = LZW_BYTES + 256 + 16;
