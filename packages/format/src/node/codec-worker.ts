// A worker thread that runs byte codecs (blosc, lz4, shuffle, wasm zstd) off
// the main thread, so chunk encoding and decoding use every core: encode or
// decode one chunk (its bytes transferred both ways), or read-decode chunks
// taken from a shared counter, read and decoded into shared memory.
import "@cellfolio/codecs/node"; // node:zlib for deflate in this thread too
import { serveWorker } from "@cellfolio/hdf5/node";
import { decodeByteCodecs, decodeByteCodecsInto, encodeByteCodecs } from "../zarr/chunk.js";
import type { ChunkSource } from "../zarr/key-store.js";
import type { ByteCodec } from "../zarr/metadata.js";
import { ABSENT, DONE, FAILED, type ReadReport, type SharedTarget } from "../zarr/shared-read.js";
import { FileScratch } from "./stores.js";

export type CodecJob =
  | { op: "encode" | "decode"; codecs: ByteCodec[]; data: Uint8Array }
  | { op: "read-decode"; codecs: ByteCodec[]; sources: ChunkSource[]; chunkBytes: number; target: SharedTarget };

const scratch = new FileScratch();

async function readDecode(codecs: ByteCodec[], sources: ChunkSource[], chunkBytes: number, t: SharedTarget): Promise<ReadReport> {
  const errors: ReadReport["errors"] = {};
  for (let i = Atomics.add(t.ctl, 0, 1); i < sources.length; i = Atomics.add(t.ctl, 0, 1)) {
    let state = DONE;
    try {
      const src = scratch.read(sources[i]);
      if (!src) state = ABSENT;
      else await decodeByteCodecsInto(codecs, src, new Uint8Array(t.shared, t.offsets[i], chunkBytes));
    } catch (e: any) {
      state = FAILED;
      errors[i] = e?.code ? (e?.message ?? String(e)) : `cannot decode (${e?.message ?? e})`;
    }
    Atomics.store(t.ctl, 1 + i, state);
  }
  scratch.release();
  return { errors };
}

serveWorker<CodecJob, Uint8Array | ReadReport>(
  async (job) => {
    if (job.op === "read-decode") return readDecode(job.codecs, job.sources, job.chunkBytes, job.target);
    const out = job.op === "encode" ? await encodeByteCodecs(job.codecs, job.data) : await decodeByteCodecs(job.codecs, job.data);
    return out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength ? out.slice() : out;
  },
  (out) => (out instanceof Uint8Array ? [out.buffer as ArrayBuffer] : []),
);
