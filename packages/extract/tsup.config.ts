import { defineConfig } from "tsup";

export default defineConfig({
  // worker.ts is the entry of the extraction worker threads (dist/worker.js),
  // tile-worker.ts that of the TIFF reader's decoding threads; both found
  // beside dist/index.js at run time.
  entry: ["src/index.ts", "src/worker.ts", "src/tile-worker.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
});
