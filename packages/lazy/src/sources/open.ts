// Opening what openDataset is given: a path, URL, Blob, bytes or keys, through
// format's openStore; an HDF5 URL is probed first (there, answering range
// requests, an HDF5 signature by format's sniffing).
import { CellfolioError, HttpClient, type HttpOptions, isReferenceFile, isZarrName, MemorySource, openStore, pickHttpOptions, SNIFF_BYTES, SourceError, type StoreReader, type StoreSource, sniffBytes } from "@cellfolio/format";
import { DatasetError } from "../errors.js";
import { isUrl, probeRange } from "./http.js";

/** The store of `source` (or `options.store`); a failure to open is a DatasetError naming the source. */
export async function openSource(source: StoreSource, options: HttpOptions & { store?: StoreReader }): Promise<StoreReader> {
  if (options.store) return options.store;
  const http = pickHttpOptions(options);
  if (typeof source === "string" && isUrl(source) && !isZarrName(new URL(source).pathname) && !isReferenceFile(source)) {
    // HDF5 over HTTP: the file must be there and answer range requests. One
    // client for the probe and the reader: a whole file (a server that
    // ignores Range) is downloaded once.
    http.client ??= new HttpClient(http);
    let head = await probeRange(source, http);
    if ((await sniffBytes(new MemorySource(head))) !== "hdf5" && head.length === 8) {
      // a user block (512, 1024, ... bytes, h5jam's) may come first: its signature is further on
      head = await probeRange(source, { ...http, bytes: SNIFF_BYTES });
    }
    if ((await sniffBytes(new MemorySource(head))) !== "hdf5") {
      throw new DatasetError(source, "", `not an HDF5 file (no HDF5 signature at offset 0, nor after a user block at 512, 1024, ... ${SNIFF_BYTES - 8})`);
    }
  }
  try {
    return await openStore(source, http);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const name = sourceName(source);
    // A read that failed names its own file or URL (a Zarr key's URL): keep it unless it is the dataset's.
    const problem =
      err instanceof SourceError
        ? err.file === name
          ? err.problem
          : err.message
        : err instanceof CellfolioError
          ? err.problem
          : (err as Error).message;
    throw new DatasetError(name, "", `cannot open: ${problem}`, { cause: err });
  }
}

/** A name for messages: the path or URL, a File's name, or what the bytes are. */
export function sourceName(source: StoreSource): string {
  if (typeof source === "string") return source;
  if (source instanceof Map) return "(memory).zarr";
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return "(memory)";
  if ("source" in source) return source.source;
  return (source as { name?: string }).name ?? "(blob)";
}
