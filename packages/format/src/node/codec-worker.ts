// A worker thread that runs byte codecs (blosc, lz4, shuffle, wasm zstd) off
// the main thread, so chunk encoding and decoding use every core. Messages:
// { id, op: "encode" | "decode", codecs, data } -> { id, data } or { id, error };
// { id, op: "read-decode", codecs, sources, chunkBytes, target } -> { id, data: ReadReport }
// (chunks taken from a shared counter, read and decoded into shared memory).
import { parentPort } from "node:worker_threads";
import "@cellfolio/codecs/node"; // node:zlib for deflate in this thread too
import { decodeByteCodecs, decodeByteCodecsInto, encodeByteCodecs } from "../zarr/chunk.js";
import { ABSENT, DONE, FAILED, type ReadReport, type SharedTarget } from "../zarr/shared-read.js";
import type { ChunkSource } from "../zarr/stores.js";
import { FileScratch } from "./stores.js";

const scratch = new FileScratch();

interface Message {
  id: number;
  op: "encode" | "decode" | "read-decode";
  codecs: any[];
  data?: Uint8Array;
  sources?: ChunkSource[];
  chunkBytes?: number;
  target?: SharedTarget;
}

async function readDecode(codecs: any[], sources: ChunkSource[], chunkBytes: number, t: SharedTarget): Promise<ReadReport> {
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

parentPort?.on("message", async (msg: Message) => {
  try {
    if (msg.op === "read-decode") {
      parentPort?.postMessage({ id: msg.id, data: await readDecode(msg.codecs, msg.sources ?? [], msg.chunkBytes ?? 0, msg.target as SharedTarget) });
      return;
    }
    const data = msg.data as Uint8Array;
    let out = msg.op === "encode" ? await encodeByteCodecs(msg.codecs, data) : await decodeByteCodecs(msg.codecs, data);
    if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) out = out.slice();
    parentPort?.postMessage({ id: msg.id, data: out }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: (e as Error)?.message ?? String(e) });
  }
});
