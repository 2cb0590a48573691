import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// `cellfolio --version` prints the package's version as changesets last set it.
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
  define: { __CELLFOLIO_VERSION__: JSON.stringify(version) },
});
