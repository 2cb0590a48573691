import { defineConfig } from "tsup";

export default defineConfig({
  // The Zarr codec worker is loaded by file name (new Worker), so it is an entry of its own.
  entry: ["src/index.ts", "src/zarr/codec-worker.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
