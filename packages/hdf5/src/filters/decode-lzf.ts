// LZF decompression (h5py's filter 32000, liblzf's format): literal runs
// (control < 32: control + 1 bytes follow) and back references (length from
// the top 3 bits, +1 byte when they are all set; offset from 13 bits).
// Decodes into a caller's buffer so a chunk can land in place.

/** Decodes `src` into `dst`; returns the number of bytes written. Throws on a corrupt stream. */
export function lzfDecode(src: Uint8Array, dst: Uint8Array): number {
  let ip = 0;
  let op = 0;
  const inEnd = src.length;
  const outEnd = dst.length;
  while (ip < inEnd) {
    let ctrl = src[ip++];
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outEnd) throw new Error("lzf: output overflow (corrupt stream or wrong chunk size)");
      if (ip + ctrl > inEnd) throw new Error("lzf: input truncated in a literal run");
      // Runs are at most 32 bytes: a plain loop beats creating a subarray.
      const end = ip + ctrl;
      while (ip < end) dst[op++] = src[ip++];
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= inEnd) throw new Error("lzf: input truncated in a back reference");
        len += src[ip++];
      }
      if (ip >= inEnd) throw new Error("lzf: input truncated in a back reference");
      const dist = ((ctrl & 0x1f) << 8) + 1 + src[ip++];
      let ref = op - dist;
      len += 2;
      if (op + len > outEnd) throw new Error("lzf: output overflow (corrupt stream or wrong chunk size)");
      if (ref < 0) throw new Error("lzf: back reference before the start of the output (corrupt stream)");
      const end = op + len;
      // Native fills and copies for the long references: a run of one byte
      // (distance 1: the zeros of masked pixels, most of a cell chunk) is a
      // fill; a long reference that does not overlap its output is a
      // copyWithin. Measured on h5py-written cell chunks: 2.5x faster than
      // byte by byte. Short or overlapping ones stay a byte loop (an overlap
      // repeats the pattern).
      if (dist === 1 && len >= 8) {
        dst.fill(dst[ref], op, end);
        op = end;
      } else if (len >= 16 && dist >= len) {
        dst.copyWithin(op, ref, ref + len);
        op = end;
      } else {
        while (op < end) dst[op++] = dst[ref++];
      }
    }
  }
  return op;
}
