// Globals the format packages touch at module load (Buffer for two byte
// signatures, process.env for a worker setting). Imported first by main.ts,
// so it runs before them.
class ByteBuffer extends Uint8Array {
  static alloc(n: number): ByteBuffer {
    return new ByteBuffer(n);
  }
  equals(other: Uint8Array): boolean {
    return this.length === other.length && this.every((b, i) => b === other[i]);
  }
}
const g = globalThis as unknown as Record<string, unknown>;
g.Buffer ??= ByteBuffer;
// no codec workers in the page: chunks decode on the main thread (small)
g.process ??= { env: { CELLFOLIO_ZARR_WORKERS: "0" }, execArgv: [], versions: {} };
