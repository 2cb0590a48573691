// A file whose chunk index is large for its size: the reader tests of
// searching an index instead of loading it (large-index.test.ts, http.test.ts).
import { Hdf5Writer } from "../../src/index.js";

/** A 1-D int32 dataset "x" of `n` elements, chunks of 1, with `written` chunks spread over it every `n / written` (element i holds i). */
export async function sparseFile(n: number, written: number): Promise<Uint8Array> {
  const { writer, sink } = await Hdf5Writer.createInMemory("sparse.h5");
  const d = writer.createDataset("x", { shape: [n], type: { class: "int", size: 4, signed: true }, chunks: [1] });
  const step = Math.floor(n / written);
  for (let k = 0; k < written; k++) await d.write([k * step], [1], Int32Array.of(k * step));
  await writer.close();
  return sink.bytes();
}
