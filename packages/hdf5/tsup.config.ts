import { defineConfig } from "tsup";

export default defineConfig({
  // index: the platform-neutral core (browsers, workers, Node); node: the core
  // plus Node's files and threads; the two worker threads' modules, loaded by
  // file name (new Worker).
  entry: ["src/index.ts", "src/node.ts", "src/node/decode-worker.ts", "src/node/filter-worker.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/node.ts"] },
  sourcemap: true,
  clean: true,
  // one copy of shared modules (the platform settings) for every entry
  splitting: true,
  target: "es2022",
});
