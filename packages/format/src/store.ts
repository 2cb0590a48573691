// Which backend a path or URL is: one place for the dispatch.
import { open, stat } from "node:fs/promises";
import { FormatError } from "./errors.js";
import { openHdf5 } from "./hdf5/reader.js";
import { createHdf5 } from "./hdf5/writer.js";
import type { StoreReader, StoreWriter } from "./types.js";
import { createZarr, openZarr } from "./zarr/index.js";

export interface CreateStoreOptions {
  zarrFormat?: 2 | 3;
  overwrite?: boolean;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const HDF5_EXT = /\.(h5ad|h5sc|h5|hdf5|hdf)$/i;
const ZARR_EXT = /\.zarr(\.zip)?\/?$/i;

/** What a local file starts with: HDF5 (signature at 0, 512, 1024, ...), zip, or neither. */
async function sniff(path: string): Promise<"hdf5" | "zip" | "other"> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    if (bytesRead >= 4 && buf.subarray(0, 4).equals(ZIP_SIGNATURE)) return "zip";
    for (let offset = 0; offset <= 8192; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead: n } = await fh.read(buf, 0, 8, offset);
      if (n < 8) break;
      if (buf.equals(HDF5_SIGNATURE)) return "hdf5";
    }
    return "other";
  } finally {
    await fh.close();
  }
}

/** Opens any AnnData store: .h5ad / .h5sc / .h5 (HDF5), .zarr (v2/v3), .zarr.zip; local path or URL. */
export async function openStore(source: string): Promise<StoreReader> {
  if (/^https?:\/\//i.test(source)) {
    const path = new URL(source).pathname;
    if (HDF5_EXT.test(path)) return openHdf5(source);
    if (ZARR_EXT.test(path)) return openZarr(source);
    throw new FormatError(source, "", "cannot tell the format of this URL: expected .h5ad / .h5sc / .h5 or .zarr / .zarr.zip");
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FormatError(source, "", code === "ENOENT" ? "no such file or directory" : `cannot be read (${code ?? err})`, { cause: err });
  }
  if (st.isDirectory()) return openZarr(source);
  let kind: Awaited<ReturnType<typeof sniff>>;
  try {
    kind = await sniff(source);
  } catch (err) {
    throw new FormatError(source, "", `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
  if (kind === "hdf5") return openHdf5(source);
  if (kind === "zip") return openZarr(source);
  throw new FormatError(source, "", "not AnnData: neither an HDF5 file nor a Zarr store (.zarr directory or .zarr.zip)");
}

/** Creates a store for writing, its backend chosen by the extension (.zarr -> Zarr, else HDF5). */
export async function createStore(path: string, options: CreateStoreOptions = {}): Promise<StoreWriter> {
  if (/\.zarr\.zip$/i.test(path)) throw new FormatError(path, "", "writing .zarr.zip is not supported; write a .zarr directory");
  if (/\.zarr\/?$/i.test(path)) return createZarr(path.replace(/\/+$/, ""), { zarrFormat: options.zarrFormat ?? 3, overwrite: options.overwrite });
  return createHdf5(path, { overwrite: options.overwrite });
}
