// A back reference copied forward, as LZ4 and LZF define it: `len` bytes
// from `dist` back, overlapping when `dist < len` (the pattern repeats).
// Copies go 8 or 16 bytes at a time and may write up to 15 bytes past the
// end: the callers leave SLACK after every output.

// @ts-ignore: decorator
@inline export function copyMatch(op: usize, dist: usize, len: usize): void {
  let ref = op - dist;
  const end = op + len;
  if (dist >= 16) {
    // every 16-byte load reads bytes already written
    while (op < end) {
      v128.store(op, v128.load(ref));
      op += 16;
      ref += 16;
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
    while (op < end) store<u8>(op++, load<u8>(ref++));
  }
}
