// The decode pool's Web Worker (decode-workers.ts): HDF5 chunks through the
// filter pipeline of the reader, Zarr chunks through the byte codecs, as the
// page's thread would decode them. Message in: a batch of WorkerJob (buffers
// transferred); out: one WorkerReply, the decoded buffers transferred.
import { decodeChunk } from "@cellfolio/hdf5";
import type { WorkerJob, WorkerReply } from "./decode-workers.js";
import { decodeByteCodecs } from "./zarr/chunk.js";

/** The little of a worker's global scope used here (the package's types are the DOM's, not the worker's). */
const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<WorkerJob[]>) => void) | null;
  postMessage(message: WorkerReply, options: { transfer: ArrayBuffer[] }): void;
};

let decoded = 0;

async function hdf5Job(job: Extract<WorkerJob, { kind: "hdf5" }>): Promise<Uint8Array> {
  const out = new Uint8Array(job.chunks.length * job.rawSize);
  for (let k = 0; k < job.chunks.length; k++) {
    const c = job.chunks[k];
    const target = out.subarray(k * job.rawSize, (k + 1) * job.rawSize);
    try {
      const b = await decodeChunk(job.bytes.subarray(c.offset, c.offset + c.size), job.filters, c.mask, job.rawSize, job.elementSize, target);
      if (b !== target) target.set(b);
    } catch (e) {
      throw Object.assign(new Error((e as Error)?.message ?? String(e)), { chunk: k });
    }
    decoded++;
  }
  return out;
}

async function zarrJob(job: Extract<WorkerJob, { kind: "zarr" }>): Promise<Uint8Array> {
  const b = await decodeByteCodecs(job.codecs, job.bytes);
  decoded++;
  // a view of a larger buffer: copied, to be transferred
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

scope.onmessage = async (ev) => {
  const results: WorkerReply["results"] = [];
  const transfer: ArrayBuffer[] = [];
  for (const job of ev.data) {
    try {
      const bytes = job.kind === "hdf5" ? await hdf5Job(job) : await zarrJob(job);
      results.push({ id: job.id, bytes });
      transfer.push(bytes.buffer as ArrayBuffer);
    } catch (e) {
      results.push({ id: job.id, error: (e as Error)?.message ?? String(e), chunk: (e as { chunk?: number }).chunk });
    }
  }
  scope.postMessage({ results, decoded }, { transfer });
};
