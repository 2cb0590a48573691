// A back reference copied forward, as LZ4 and LZF define it: `len` bytes
// from `dist` back, overlapping when `dist < len` (the pattern repeats).
// Copies go 8 or 16 bytes at a time and may write up to 15 bytes past the
// end: the callers leave SLACK after every output.

// @ts-ignore: decorator
@inline export function copyMatch(op: usize, dist: usize, len: usize): void {
  let ref = op - dist;
  const end = op + len;
  if (dist >= 16) {
    // every 16-byte load reads bytes already written; most matches are 4-16 bytes
    v128.store(op, v128.load(ref));
    while (op + 16 < end) {
      op += 16;
      ref += 16;
      v128.store(op, v128.load(ref));
    }
  } else if (dist == 1) {
    memory.fill(op, load<u8>(ref), len); // a run of one byte: the zeros of masked pixels
  } else if (dist >= 8) {
    while (op < end) {
      store<u64>(op, load<u64>(ref));
      op += 8;
      ref += 8;
    }
  } else {
    // a short pattern (2-7 bytes, ~30% of the match bytes in float16 cells):
    // 16 bytes one by one, then from a distance that is a multiple of the
    // pattern and at least 12, 8 bytes at a time
    const head = op + 16;
    while (op < head) store<u8>(op++, load<u8>(ref++));
    if (op < end) {
      ref = op - (16 - (16 % dist));
      while (op < end) {
        store<u64>(op, load<u64>(ref));
        op += 8;
        ref += 8;
      }
    }
  }
}
