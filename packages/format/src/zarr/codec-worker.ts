// A worker thread that runs byte codecs (blosc, lz4, shuffle, wasm zstd) off
// the main thread, so chunk encoding and decoding use every core. Messages:
// { id, op: "encode" | "decode", codecs, data } -> { id, data } or { id, error }.
import { parentPort } from "node:worker_threads";
import { decodeByteCodecs, encodeByteCodecs } from "./chunk.js";

parentPort?.on("message", async (msg: { id: number; op: "encode" | "decode"; codecs: any[]; data: Uint8Array }) => {
  try {
    const out = msg.op === "encode" ? await encodeByteCodecs(msg.codecs, msg.data) : await decodeByteCodecs(msg.codecs, msg.data);
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
    parentPort?.postMessage({ id: msg.id, data: owned }, [owned.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: (e as Error)?.message ?? String(e) });
  }
});
