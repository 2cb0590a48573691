import { defineConfig } from "tsup";

export default defineConfig({
  // index: the platform-neutral core (browsers, workers, Node); node: the core
  // plus Node's files and threads. The Zarr codec worker is loaded by file
  // name (new Worker), so it is an entry of its own.
  entry: ["src/index.ts", "src/node.ts", "src/node/codec-worker.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/node.ts"] },
  sourcemap: true,
  clean: true,
  // one copy of shared modules (the platform settings) for every entry
  splitting: true,
  target: "es2022",
  // optional: loaded only when a local file needs a filter we do not decode
  external: ["h5wasm", "h5wasm/node", "h5wasm-plugins"],
});
