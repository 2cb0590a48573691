// Blosc 1 frames whose streams are lz4 (what zarr-python writes by default),
// decoded and encoded in one call, so a chunk crosses into this module's
// memory once. Frame: a 16-byte header (version, lz version, flags, typesize,
// nbytes, blocksize, cbytes), the start of each block, then per block its
// streams (int32 size + bytes; a size equal to the block's means stored raw).
// Flags: 0x01 byte shuffle, 0x02 memcpyed (raw after the header), 0x04 bit
// shuffle, 0x10 "don't split", codec in the top 3 bits (1 = lz4).

import { lz4Decode, lz4Encode } from "./lz4";
import { shuffle, unshuffle } from "./shuffle";

/**
 * Decodes a frame into `dst`; `scratch` holds one block for the shuffle.
 * Returns nbytes, -1 for a corrupt or truncated frame, -2 for what this
 * decoder leaves to others (codecs other than lz4, bit shuffle).
 */
export function bloscDecode(src: usize, srcLen: usize, dst: usize, dstCap: usize, scratch: usize): isize {
  if (srcLen < 16) return -1;
  const flags = <u32>load<u8>(src + 2);
  const typesize = <usize>load<u8>(src + 3);
  const nbytes = <usize>load<u32>(src + 4);
  const blocksize = <usize>load<u32>(src + 8);
  if (nbytes > dstCap) return -1;
  if (flags & 0x02) {
    if (srcLen < 16 + nbytes) return -1;
    memory.copy(dst, src + 16, nbytes);
    return <isize>nbytes;
  }
  if (flags & 0x04 || flags >> 5 != 1 || blocksize == 0 || typesize == 0) return -2;
  const nblocks = (nbytes + blocksize - 1) / blocksize;
  if (<usize>16 + 4 * nblocks > srcLen) return -1;
  const leftover = nbytes % blocksize;
  const shuffled = (flags & 0x01) != 0 && typesize > 1;
  for (let b: usize = 0; b < nblocks; b++) {
    const last = b == nblocks - 1 && leftover > 0;
    const bsize = last ? leftover : blocksize;
    const nsplits = (flags & 0x10) == 0 && typesize <= 16 && blocksize / typesize >= 128 && !last ? typesize : 1;
    const neblock = bsize / nsplits;
    let pos = <usize>load<u32>(src + 16 + 4 * b);
    const out = dst + b * blocksize;
    const target = shuffled ? scratch : out;
    for (let j: usize = 0; j < nsplits; j++) {
      if (pos + 4 > srcLen) return -1;
      const csize = <usize>load<u32>(src + pos);
      pos += 4;
      if (pos + csize > srcLen) return -1;
      if (csize == neblock) memory.copy(target + j * neblock, src + pos, csize);
      else if (lz4Decode(src + pos, csize, target + j * neblock, neblock) != <isize>neblock) return -1;
      pos += csize;
    }
    if (shuffled) {
      const n = bsize / typesize;
      unshuffle(scratch, out, n, typesize);
      if (n * typesize < bsize) memory.copy(out + n * typesize, scratch + n * typesize, bsize - n * typesize);
    }
  }
  return <isize>nbytes;
}

/**
 * Encodes `n` bytes as a frame of lz4 streams, one stream a block ("don't
 * split"), with byte shuffle when `shuffled`; `scratch` holds one block.
 * `dst` must hold bloscBound(n, blocksize). Returns the frame's length.
 */
export function bloscEncode(
  src: usize,
  n: usize,
  dst: usize,
  typesize: usize,
  shuffled: bool,
  blocksize: usize,
  acceleration: i32,
  scratch: usize,
): usize {
  if (typesize <= 1) shuffled = false;
  const nblocks: usize = n == 0 ? 0 : (n + blocksize - 1) / blocksize;
  let pos: usize = 16 + 4 * nblocks;
  for (let b: usize = 0; b < nblocks; b++) {
    const from = src + b * blocksize;
    const bsize = min(blocksize, n - b * blocksize);
    let block = from;
    if (shuffled) {
      const k = bsize / typesize;
      shuffle(from, scratch, k, typesize);
      if (k * typesize < bsize) memory.copy(scratch + k * typesize, from + k * typesize, bsize - k * typesize);
      block = scratch;
    }
    store<u32>(dst + 16 + 4 * b, <u32>pos);
    let c = lz4Encode(block, bsize, dst + pos + 4, bsize, acceleration);
    if (c == 0 || c >= bsize) {
      memory.copy(dst + pos + 4, block, bsize); // stored raw: its size says so
      c = bsize;
    }
    store<u32>(dst + pos, <u32>c);
    pos += 4 + c;
  }
  let flags: u32 = 0x10 | (1 << 5) | (shuffled ? 1 : 0);
  if (pos >= n + 16) {
    // no gain: the whole chunk raw after the header
    flags = 0x02 | 0x10 | (1 << 5);
    memory.copy(dst + 16, src, n);
    pos = 16 + n;
  }
  store<u8>(dst, 2);
  store<u8>(dst + 1, 1);
  store<u8>(dst + 2, <u8>flags);
  store<u8>(dst + 3, <u8>typesize);
  store<u32>(dst + 4, <u32>n);
  store<u32>(dst + 8, <u32>blocksize);
  store<u32>(dst + 12, <u32>pos);
  return pos;
}
