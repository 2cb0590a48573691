// A worker thread of the TIFF reader (inputs/tile-pool.ts): decodes a tile or
// strip whose codec runs on the calling thread (LZW, JPEG 2000), then undoes
// its predictor and byte order, and hands the finished bytes back by transfer.
import { serveWorker } from "@cellfolio/format/node";
import { decompress, finishChunk } from "./inputs/tiff-decode.js";
import type { TileJob } from "./inputs/tile-pool.js";

serveWorker<TileJob, Uint8Array>(
  async ({ page, bytes, size, rows }) => finishChunk(page, await decompress(page, bytes, size), rows),
  (r) => [r.buffer as ArrayBuffer],
);
