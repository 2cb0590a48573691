// A worker thread that runs byte codecs (blosc, lz4, shuffle, wasm zstd) off
// the main thread, so chunk encoding and decoding use every core. Messages:
// { id, op: "encode" | "decode", codecs, data } -> { id, data } or { id, error };
// { id, op: "read-decode", codecs, files, chunkBytes } -> { id, data: FileBatch }
// (the chunk files read and decoded here, side by side in one buffer).
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { kernels } from "@cellfolio/codecs";
import { decodeByteCodecs, encodeByteCodecs } from "./chunk.js";
import type { FileBatch } from "./codec-pool.js";
import { isAbsentKey } from "./stores.js";

interface Message {
  id: number;
  op: "encode" | "decode" | "read-decode";
  codecs: any[];
  data?: Uint8Array;
  files?: string[];
  chunkBytes?: number;
  reuse?: ArrayBuffer;
}

async function readDecode(codecs: any[], files: string[], chunkBytes: number, reuse?: ArrayBuffer): Promise<FileBatch> {
  const need = files.length * chunkBytes;
  const bytes = reuse && reuse.byteLength >= need ? new Uint8Array(reuse, 0, need) : new Uint8Array(need);
  const at: FileBatch["at"] = [];
  const bloscOnly = codecs.length === 1 && codecs[0].id === "blosc";
  for (let i = 0; i < files.length; i++) {
    let raw: Buffer;
    try {
      raw = readFileSync(files[i]);
    } catch (e: any) {
      at.push(isAbsentKey(e) ? null : (e?.message ?? String(e)));
      continue;
    }
    const into = bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes);
    try {
      const src = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
      // blosc lz4 (zarr-python's default) decodes straight into the batch
      if (!bloscOnly || !kernels().bloscDecodeInto(src, into)) {
        const b = await decodeByteCodecs(codecs, src);
        if (b.length !== chunkBytes) throw new Error(`decoded ${b.length} bytes, expected ${chunkBytes}`);
        into.set(b);
      }
      at.push(i * chunkBytes);
    } catch (e: any) {
      at.push(`cannot decode (${e?.message ?? e})`);
    }
  }
  return { bytes, at };
}

parentPort?.on("message", async (msg: Message) => {
  try {
    if (msg.op === "read-decode") {
      const batch = await readDecode(msg.codecs, msg.files ?? [], msg.chunkBytes ?? 0, msg.reuse);
      parentPort?.postMessage({ id: msg.id, data: batch }, [batch.bytes.buffer as ArrayBuffer]);
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
