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
// @ts-ignore: decorator
@lazy export const WORK_BASE: usize = DEFLATE_SYMS + (2 << 15) + 64;
