// A plain Vite config: the packages' core entries run in the browser as they
// are (no aliases, no shims).
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // the zstd and blosc decoders (WebAssembly inlined), loaded only for stores that use them
    chunkSizeWarningLimit: 800,
  },
});
