// TIFF chunks decoded off the main thread (inputs/tiff.ts): a codec that runs
// on the calling thread (LZW, JPEG 2000: WebAssembly) would otherwise decode a band's
// tiles one after the other on the thread that also feeds the cell workers
// and writes the output; deflate goes to libuv's threadpool instead (native
// zlib, asynchronous). One pool for the process, started when the first such
// file is opened; a chunk asked for before any of its threads has loaded its
// module (~0.1-0.3 s) is decoded where it is asked. A thread a core up to 2,
// then one for every 4 cores: on the bench's LZW slide decoding is ~7% of the
// run's CPU time (96 MB of image tiles at ~420 MB/s in 3.4 CPU s), and each
// thread holds ~30-40 MB; on 2 cores one thread instead of 2 was 2-4% slower
// (3,263-3,359 against 3,406-3,445 cells/s, bench/extract-tiled issue-lzw).
// JPEG 2000 is another matter: OpenJPEG in WebAssembly decodes ~10 MB/s a
// core, most of such a run's work (issue-j2k: 4.7 of its 6.3 s), so a file
// of it starts a thread a core.
import { availableParallelism } from "node:os";
import { WorkerPool, workerFile } from "@cellfolio/format/node";
import type { TiffPage } from "./tiff-format.js";

/** A chunk to decode: its page's decoding fields, its stored bytes (handed over), the decoded size and its rows. */
export interface TileJob {
  page: TiffPage;
  bytes: Uint8Array;
  size: number;
  rows: number;
}

let pool: WorkerPool<TileJob, Uint8Array> | null = null;

/**
 * Starts the pool now (its threads load while the caller goes on), sized
 * for the first file that needs it: `heavy` for a codec that is most of the
 * work (JPEG 2000).
 */
export function startTilePool(heavy: boolean): void {
  if (pool) return;
  pool = new WorkerPool<TileJob, Uint8Array>(workerFile("tile-worker", import.meta.url), tileThreads(availableParallelism(), heavy));
  pool.startAll();
}

/** Threads for `cores` cores: a core each for a heavy codec; else all of 1 or 2, a quarter of more (at least 2). */
function tileThreads(cores: number, heavy: boolean): number {
  if (heavy || cores <= 2) return Math.max(1, cores);
  return Math.max(2, Math.ceil(cores / 4));
}

/**
 * The finished chunk (finishChunk's bytes) decoded on a pool thread, or null
 * when no thread is ready yet (the caller decodes it itself). `bytes` is
 * handed over: its own ArrayBuffer, unusable here afterwards.
 */
export function decodeOffThread(page: TiffPage, bytes: Uint8Array, size: number, rows: number): Promise<Uint8Array> | null {
  if (!pool || pool.ready() === 0 || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return null;
  // only what decoding reads of the page: not its chunk tables or OME-XML
  const slim: TiffPage = { ...page, offsets: EMPTY, byteCounts: EMPTY, description: "" };
  return pool.run({ page: slim, bytes, size, rows }, [bytes.buffer as ArrayBuffer]);
}

const EMPTY = new Float64Array(0);

/** Threads ready and chunks each has decoded (tests: the work went off the main thread). */
export function tilePoolState(): { ready: number; decoded: number[] } {
  return { ready: pool?.ready() ?? 0, decoded: pool?.stats() ?? [] };
}
