import { cpSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "tsup";

// `cellfolio --version` prints the package's version as changesets last set it.
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

// The web viewer's built page (apps/viewer, a private workspace) ships inside
// this package as dist/viewer, where `cellfolio view` finds it in an installed
// copy. turbo builds the viewer before this package (turbo.json).
const viewerDist = fileURLToPath(new URL("../../apps/viewer/dist", import.meta.url));
const viewerOut = fileURLToPath(new URL("./dist/viewer", import.meta.url));

export default defineConfig({
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
  define: { __CELLFOLIO_VERSION__: JSON.stringify(version) },
  async onSuccess() {
    if (!existsSync(`${viewerDist}/index.html`)) {
      throw new Error(`the viewer is not built (no ${viewerDist}/index.html), and the cli ships it: run \`npx turbo run build --filter=@cellfolio/cli\`, which builds the viewer first`);
    }
    cpSync(viewerDist, viewerOut, { recursive: true });
  },
});
