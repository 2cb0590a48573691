// A minimal baseline TIFF writer: one float32 greyscale page per channel,
// uncompressed, little-endian; tifffile, ImageJ/Fiji and geotiff read it.
const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfig: 284,
  SampleFormat: 339,
} as const;

/** `pages` float32 images of height x width each, as one multi-page TIFF. */
export function encodeTiffFloat32(pages: Float32Array[], width: number, height: number, description = ""): Buffer {
  // Longer than 4 bytes, so the tag always points at it rather than holding it inline.
  const desc = Buffer.from(`cellfolio ${description}\0`, "utf8");
  const entries = 12;
  const ifdSize = 2 + entries * 12 + 4;
  const pageBytes = width * height * 4;
  const headerBytes = 8;
  const perPage = ifdSize + desc.length + (desc.length & 1) + pageBytes;
  const out = Buffer.alloc(headerBytes + perPage * pages.length);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(headerBytes, 4);
  let offset = headerBytes;
  pages.forEach((page, i) => {
    if (page.length !== width * height) throw new Error(`encodeTiffFloat32: page ${i} has ${page.length} values, expected ${width * height}`);
    const ifd = offset;
    const descAt = ifd + ifdSize;
    const dataAt = descAt + desc.length + (desc.length & 1);
    const tags: [number, number, number, number][] = [
      [TAG.ImageWidth, 4, 1, width],
      [TAG.ImageLength, 4, 1, height],
      [TAG.BitsPerSample, 3, 1, 32],
      [TAG.Compression, 3, 1, 1],
      [TAG.Photometric, 3, 1, 1],
      [TAG.ImageDescription, 2, desc.length, descAt],
      [TAG.StripOffsets, 4, 1, dataAt],
      [TAG.SamplesPerPixel, 3, 1, 1],
      [TAG.RowsPerStrip, 4, 1, height],
      [TAG.StripByteCounts, 4, 1, pageBytes],
      [TAG.PlanarConfig, 3, 1, 1],
      [TAG.SampleFormat, 3, 1, 3],
    ];
    out.writeUInt16LE(entries, ifd);
    tags.forEach(([tag, type, count, value], k) => {
      const at = ifd + 2 + k * 12;
      out.writeUInt16LE(tag, at);
      out.writeUInt16LE(type, at + 2);
      out.writeUInt32LE(count, at + 4);
      if (type === 3) out.writeUInt16LE(value, at + 8);
      else out.writeUInt32LE(value, at + 8);
    });
    const next = i + 1 < pages.length ? dataAt + pageBytes : 0;
    out.writeUInt32LE(next, ifd + 2 + entries * 12);
    desc.copy(out, descAt);
    Buffer.from(page.buffer, page.byteOffset, pageBytes).copy(out, dataAt);
    offset = dataAt + pageBytes;
  });
  return out;
}
