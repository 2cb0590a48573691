// Zarr v2 / v3 backend: our own reader (local directories, .zarr.zip, HTTP)
// and our own writer (zarrita can neither write v2, shards, gzip, vlen-utf8 nor
// consolidated metadata, nor read float16 on Node 20).
import { type HttpOptions, pickHttpOptions } from "@cellfolio/hdf5";
import type { StoreReader, StoreWriter } from "../types.js";
import type { KeySink, KeyStore } from "./key-store.js";
import { ZarrReader } from "./reader.js";
import { ZarrWriter } from "./writer.js";

export { decodeChunk, encodeByteCodecsSync, encodeChunk } from "./chunk.js";
export { forEachChunk } from "./grid.js";
export type { KeyFile, KeySink, KeyStore } from "./key-store.js";
export type { ByteCodec } from "./metadata.js";
export { type ArrayMeta, parseV2, parseV3 } from "./metadata.js";
export { ZarrReader } from "./reader.js";
export { MapKeyStore, MemoryKeySink, openKeyStore, ZipStore } from "./stores.js";
export { DEFAULT_COMPRESSION, guessChunks, guessShards, ZarrWriter } from "./writer.js";

/** HTTP only: fetch options, time limits, retries and bounds (HttpOptions of @cellfolio/hdf5). */
export interface OpenZarrOptions extends HttpOptions {}

export interface CreateZarrOptions {
  zarrFormat?: 2 | 3;
  /** Replace an existing output (only at close; until then it is left alone). */
  overwrite?: boolean;
  /** Write consolidated metadata at close (default true). */
  consolidated?: boolean;
}

/** Opens a Zarr v2 or v3 store: an http(s) URL, a local directory or `.zarr.zip` (Node), or any KeyStore. */
export async function openZarr(source: string | KeyStore, options: OpenZarrOptions = {}): Promise<StoreReader> {
  return ZarrReader.open(source, pickHttpOptions(options));
}

/** Creates a Zarr store at `path` (Node: written under a temporary name until `close()`), or into a KeySink. */
export async function createZarr(target: string | KeySink, options: CreateZarrOptions = {}): Promise<StoreWriter> {
  return ZarrWriter.create(target, options);
}
