// A blosc 1 frame's 16-byte header and its start-of-block table, checked as
// c-blosc checks them before decoding (numcodecs refuses the same frames
// with "error during blosc decompression"): a frame that passes decodes to
// exactly `nbytes` or fails, never to other values.

/** c-blosc's largest buffer (BLOSC_MAX_BUFFERSIZE). */
const MAX_BUFFER = 2 ** 31 - 1 - 16;

export interface BloscHeader {
  version: number;
  versionlz: number;
  flags: number;
  typesize: number;
  nbytes: number;
  blocksize: number;
  cbytes: number;
}

/** The header of `src`, checked against itself and the frame's length; throws "blosc: ..." naming the inconsistency. */
export function bloscHeader(src: Uint8Array): BloscHeader {
  if (src.length < 16) throw new Error(`blosc: ${src.length} bytes, shorter than the 16-byte header`);
  const u32 = (i: number) => (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
  const h = { version: src[0], versionlz: src[1], flags: src[2], typesize: src[3], nbytes: u32(4), blocksize: u32(8), cbytes: u32(12) };
  const bad = (why: string): never => {
    throw new Error(`blosc: corrupt frame header (${why})`);
  };
  if (h.version < 1 || h.version > 2) bad(`format version ${h.version}, expected 1 or 2`);
  if (h.cbytes !== src.length) throw new Error(`blosc: header says ${h.cbytes} compressed bytes, chunk has ${src.length}`);
  if (h.nbytes > MAX_BUFFER) bad(`${h.nbytes} decoded bytes`);
  if (h.typesize === 0) bad("typesize 0");
  if (h.nbytes > 0 && (h.blocksize === 0 || h.blocksize > h.nbytes)) bad(`block size ${h.blocksize} for ${h.nbytes} bytes`);
  if (h.flags & 0x02) {
    // memcpyed: the bytes follow the header as they are
    if (h.cbytes !== h.nbytes + 16) bad(`a stored frame of ${h.nbytes} bytes in ${h.cbytes}`);
    return h;
  }
  if (h.nbytes === 0) return h;
  const codec = h.flags >> 5;
  // the stream format version of lz4 / lz4hc, blosclz, zlib, zstd is 1
  if (codec <= 4 && h.versionlz !== 1) bad(`codec format version ${h.versionlz}, expected 1`);
  const nblocks = Math.ceil(h.nbytes / h.blocksize);
  const table = 16 + 4 * nblocks;
  if (table > src.length) bad(`${nblocks} blocks do not fit in ${src.length} bytes`);
  for (let b = 0; b < nblocks; b++) {
    const start = u32(16 + 4 * b);
    if (start < table || start + 4 > src.length) bad(`block ${b} starts at ${start}, outside ${table}..${src.length}`);
  }
  return h;
}
