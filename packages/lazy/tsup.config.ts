import { defineConfig } from "tsup";

export default defineConfig({
  // index: the platform-neutral core (browsers, workers, Node); node: the core plus Node's files and threads.
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  // one copy of shared modules (the platform settings) for both entries
  splitting: true,
  target: "es2022",
});
