import { type Compression, HDF5_CODECS } from "@cellfolio/format";
import { UsageError } from "../errors.js";
import { isZarrOutput } from "../paths.js";

/** "gzip", "gzip:4", "zstd:3", "blosc", "blosc:lz4:5", "lzf", "none"; "+shuffle" suffix adds the byte shuffle. */
export function parseCompression(text: string): Compression {
  const shuffle = text.endsWith("+shuffle");
  const [codec, a, b] = text.replace(/\+shuffle$/, "").split(":");
  const level = (s: string | undefined, name: string, max: number) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`--compression ${text}: ${name} level "${s}"; expected 0..${max}`);
    return n;
  };
  switch (codec) {
    case "none":
      return { codec: "none" };
    case "gzip":
      return { codec: "gzip", level: level(a, "gzip", 9), shuffle };
    case "zstd":
      return { codec: "zstd", level: level(a, "zstd", 22), shuffle };
    case "lzf":
      return { codec: "lzf", shuffle };
    case "blosc": {
      const cname = (a ?? "lz4") as "lz4";
      if (!["lz4", "lz4hc", "zstd", "zlib", "blosclz"].includes(cname)) throw new UsageError(`--compression ${text}: unknown blosc compressor "${a}"; expected lz4, lz4hc, zstd, zlib or blosclz`);
      return { codec: "blosc", cname, clevel: level(b, "blosc", 9), shuffle: "byte" };
    }
    default:
      throw new UsageError(`--compression ${text}: expected none, gzip[:level], zstd[:level], blosc[:cname[:level]] or lzf`);
  }
}

/** `compression` (given as `text`) for the output `out`: an HDF5 output takes only what stock h5py reads. */
export function checkCompressionFor(compression: Compression, text: string, out: string): void {
  if (isZarrOutput(out) || HDF5_CODECS.includes(compression.codec)) return;
  throw new UsageError(
    `--compression ${text}: not for an HDF5 output (${out}): stock h5py reads only ${HDF5_CODECS.join(", ")} there; expected gzip[:level], lzf or none, or a .zarr output for ${compression.codec}`,
  );
}
