// Which backend a path, URL, file or set of bytes is: one place for the dispatch.
import { BlobSource, type ByteSource, HDF5_SIGNATURE, type HttpOptions, MemorySource, pickHttpOptions, type Sink, superblockOffsets } from "@cellfolio/hdf5";
import { FormatError } from "./errors.js";
import { openHdf5 } from "./hdf5/reader.js";
import { createHdf5 } from "./hdf5/writer.js";
import { formatPlatform, NO_LOCAL_FILES } from "./platform.js";
import { isReferenceFile, openReferenceStore } from "./references/store.js";
import type { StoreReader, StoreWriter } from "./types.js";
import { createZarr, openZarr } from "./zarr/index.js";
import type { KeySink, KeyStore } from "./zarr/key-store.js";
import { MapKeyStore, ZipStore } from "./zarr/stores.js";

/** Options of openStore: for http(s) URLs, fetch options, time limits, retries and bounds (HttpOptions of @cellfolio/hdf5). */
export interface OpenStoreOptions extends HttpOptions {}

export interface CreateStoreOptions {
  zarrFormat?: 2 | 3;
  overwrite?: boolean;
}

/**
 * What can be opened: a path (Node) or http(s) URL (a `.json` one: a kerchunk
 * reference file, read as the Zarr store it describes); a Blob / File (a page's
 * file picker); the bytes of an HDF5 file or zip; the keys of a Zarr store
 * held in memory (a Map, as a MemoryKeySink leaves them); any KeyStore.
 */
export type StoreSource = string | Blob | ArrayBuffer | Uint8Array | Map<string, Uint8Array> | KeyStore;

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const HDF5_EXT = /\.(h5ad|h5sc|h5adsc|h5|hdf5|hdf)$/i;
const ZARR_EXT = /\.zarr(\.zip)?\/?$/i;

/** Whether a path or URL path names a Zarr store by its ending (.zarr, .zarr.zip). */
export function isZarrName(path: string): boolean {
  return ZARR_EXT.test(path);
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** The largest user block sniffing looks behind for an HDF5 signature (at 512, 1024, ... up to it). */
const MAX_USER_BLOCK = 8192;
/** The bytes sniffBytes may read: what a probe of a remote file's head must fetch to be sniffed whole. */
export const SNIFF_BYTES = MAX_USER_BLOCK + 8;

/** What a file starts with: HDF5 (signature at 0, 512, 1024, ... up to 8192: a user block before it), zip, or neither. */
export async function sniffBytes(src: ByteSource): Promise<"hdf5" | "zip" | "other"> {
  const size = await src.size();
  const head = await src.read(0, Math.min(size, 8));
  if (startsWith(head, ZIP_SIGNATURE)) return "zip";
  for (const offset of superblockOffsets(Math.min(size, SNIFF_BYTES))) {
    if (startsWith(await src.read(offset, 8), HDF5_SIGNATURE)) return "hdf5";
  }
  return "other";
}

/** Opens any AnnData store: .h5ad / .h5sc / .h5 (HDF5), .zarr (v2/v3), .zarr.zip; by path, URL, Blob, bytes or keys. */
export async function openStore(source: StoreSource, options: OpenStoreOptions = {}): Promise<StoreReader> {
  if (typeof source !== "string") return openInMemory(source);
  // a kerchunk reference file (.json): a Zarr store whose chunks are ranges of the files it names
  if (isReferenceFile(source)) return openZarr(await openReferenceStore(source, pickHttpOptions(options)));
  if (/^https?:\/\//i.test(source)) {
    const path = new URL(source).pathname;
    const http = pickHttpOptions(options);
    if (HDF5_EXT.test(path)) return openHdf5(source, http);
    if (ZARR_EXT.test(path)) return openZarr(source, http);
    throw new FormatError(source, "", "cannot tell the format of this URL: expected .h5ad / .h5sc / .h5 or .zarr / .zarr.zip");
  }
  const localKind = formatPlatform().localKind;
  if (!localKind) throw new FormatError(source, "", NO_LOCAL_FILES);
  const kind = await localKind(source);
  if (kind === "hdf5") return openHdf5(source);
  if (kind === "zip" || kind === "directory") return openZarr(source);
  throw new FormatError(source, "", "not AnnData: neither an HDF5 file nor a Zarr store (.zarr directory or .zarr.zip)");
}

async function openInMemory(source: Exclude<StoreSource, string>): Promise<StoreReader> {
  if (source instanceof Map) return openZarr(new MapKeyStore(source));
  if (!(source instanceof Blob) && !(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) return openZarr(source);
  const bytes: ByteSource =
    source instanceof Blob ? new BlobSource(source) : new MemorySource(source instanceof ArrayBuffer ? new Uint8Array(source) : source);
  const kind = await sniffBytes(bytes);
  if (kind === "hdf5") return openHdf5(bytes);
  if (source instanceof Blob && isReferenceFile((source as { name?: string }).name ?? "")) return openZarr(await openReferenceStore(source));
  if (kind === "zip") return openZarr(await ZipStore.open(bytes));
  throw new FormatError(bytes.name, "", "not AnnData: neither an HDF5 file nor a zipped Zarr store");
}

/**
 * Creates a store for writing, its backend chosen by the extension (.zarr ->
 * Zarr, else HDF5) at a local path (Node); or into a sink anywhere: a
 * KeySink (MemoryKeySink) for Zarr, a Sink (MemorySink) for HDF5.
 */
export async function createStore(target: string | KeySink | Sink, options: CreateStoreOptions = {}): Promise<StoreWriter> {
  if (typeof target !== "string") {
    if ("put" in target) return createZarr(target, { zarrFormat: options.zarrFormat ?? 3, overwrite: options.overwrite });
    return createHdf5(target, { overwrite: options.overwrite });
  }
  if (/\.zarr\.zip$/i.test(target)) throw new FormatError(target, "", "writing .zarr.zip is not supported; write a .zarr directory");
  if (/\.zarr\/?$/i.test(target)) return createZarr(target.replace(/\/+$/, ""), { zarrFormat: options.zarrFormat ?? 3, overwrite: options.overwrite });
  return createHdf5(target, { overwrite: options.overwrite });
}

/** Decoded bytes per stored byte beyond which a claimed size is not believed: zeros deflate ~1000:1, blosc ~4000:1 at most. */
const MAX_RATIO = 4096;
/** Claims up to this size are read whatever the store holds (fill values of unwritten chunks). */
const ALWAYS_READ = 1 << 30;

/**
 * Whether `claimedBytes` of decoded data (what the shapes say) can come from
 * the local store at `path`: null if so, or the inconsistency, said for a
 * user. Reading "every chunk" of a shape corrupted to 2^32 + 1 rows would
 * take days; this is checked first (by convert and validate). Remote stores
 * and platforms without local files are not checked.
 */
export async function plausibleSize(path: string, claimedBytes: number): Promise<string | null> {
  const stored = formatPlatform().storedBytes;
  if (!stored || /^https?:\/\//i.test(path) || claimedBytes <= ALWAYS_READ) return null;
  const have = await stored(path).catch(() => undefined);
  if (have === undefined || claimedBytes <= have * MAX_RATIO) return null;
  return `its shapes claim ${claimedBytes} bytes of data, more than ${MAX_RATIO} times the ${have} bytes it holds: corrupt shapes or a truncated store (not read)`;
}
