// @cellfolio/format under Node: everything of the core entry, plus local
// files and directories (HDF5, Zarr, .zarr.zip), the directory writer, codec
// worker threads, native zstd where node:zlib has it, and the optional h5wasm
// fallback. Node resolves the package here through the "node" export
// condition, so `import "@cellfolio/format"` reads local paths in Node as it is.
import { promisify } from "node:util";
import zlib from "node:zlib";
import "@cellfolio/hdf5/node"; // Node's entry: local HDF5 files, filter workers, node:zlib
import { nodeCodecPool } from "./node/codec-pool.js";
import { openH5wasm } from "./node/h5wasm.js";
import { localKind, storedBytes } from "./node/local-kind.js";
import { DirectorySink, openLocalKeyStore } from "./node/stores.js";
import { type FormatPlatform, setFormatPlatform } from "./platform.js";

/** node:zlib's zstd (Node >= 22.15 / 23.8; Node 20 has none, and numcodecs' wasm build serves). */
function nativeZstd(): FormatPlatform["zstd"] {
  const z = zlib as any;
  if (typeof z.zstdCompress !== "function") return undefined;
  const compress = promisify(z.zstdCompress);
  const decompress = promisify(z.zstdDecompress);
  return {
    // pledgedSrcSize puts the content size in the frame header, which numcodecs' decoder requires
    // (node's streaming compressor leaves it out otherwise).
    compress: (data, level) => compress(data, { pledgedSrcSize: data.length, params: { [z.constants.ZSTD_c_compressionLevel]: level } }),
    decompress: (data) => decompress(data),
  };
}

setFormatPlatform({
  localKind,
  storedBytes,
  openLocalKeyStore,
  createDirectorySink: (path, overwrite) => DirectorySink.create(path, overwrite),
  openH5wasm,
  codecPool: nodeCodecPool,
  zstd: nativeZstd(),
});

export { serveWorker, WorkerPool, workerFile } from "@cellfolio/hdf5/node"; // for extract's worker threads, which reach HDF5 only through format
export * from "./index.js";
export { DirectorySink, LocalStore } from "./node/stores.js";
