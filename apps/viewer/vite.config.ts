// The viewer is a static page. @cellfolio/format and @cellfolio/lazy are
// written for Node; their HTTP read path runs in the browser once the Node
// built-ins they import resolve to the small shims in src/shims (zlib on the
// browser's DecompressionStream, the rest stubs that throw if ever called).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const shim = (f: string) => fileURLToPath(new URL(`./src/shims/${f}`, import.meta.url));
const nodeOnly = shim("node-only.ts");

export default defineConfig({
  base: "./",
  resolve: {
    alias: [
      { find: /^(node:)?zlib$/, replacement: shim("zlib.ts") },
      { find: /^(node:)?util$/, replacement: shim("util.ts") },
      { find: /^(node:)?(fs|fs\/promises|os|path|url|crypto|worker_threads|child_process)$/, replacement: nodeOnly },
      // HDF5's local-file fallback (h5wasm on node) is never used over HTTP
      { find: /^h5wasm\/node$/, replacement: nodeOnly },
    ],
  },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // the zstd / blosc decoders (wasm inlined) are loaded only for stores that use them
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // The packages are for Node and still changing: a Node-only name the
      // shims lack becomes undefined (it fails if ever called) instead of
      // failing the build. The read path's names are all in the shims.
      shimMissingExports: true,
      // format's lazy import of h5wasm (local files only) resolves to the static stub: expected
      onwarn(warning, warn) {
        if (warning.code !== "INEFFECTIVE_DYNAMIC_IMPORT") warn(warning);
      },
    },
  },
});
