import { defineConfig } from "tsup";

export default defineConfig({
  // index: the platform-neutral core (browsers, workers, Node); node: the core
  // plus Node's files and threads. The workers are loaded by file name (new
  // Worker): the Zarr codec worker thread (Node) and the decode Web Worker
  // (pages; an export of its own, for bundlers that need it as an entry).
  entry: ["src/index.ts", "src/node.ts", "src/node/codec-worker.ts", "src/decode-worker.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/node.ts", "src/decode-worker.ts"] },
  sourcemap: true,
  clean: true,
  // one copy of shared modules (the platform settings) for every entry
  splitting: true,
  target: "es2022",
  // optional: loaded only when a local file needs a filter we do not decode
  external: ["h5wasm", "h5wasm/node", "h5wasm-plugins"],
});
