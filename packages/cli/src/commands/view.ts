// cellfolio view: serves a local dataset and the built viewer on 127.0.0.1.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { int, parse, str } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { serve } from "../serve.js";

const usage = "cellfolio view FILE_OR_DIR [--port N] [--viewer DIR]";

/**
 * The built viewer: --viewer, CELLFOLIO_VIEWER_DIR, or the copy this package
 * ships (dist/viewer, copied there by the cli's build), found beside the
 * bundled code, so an installed `cellfolio` needs no checkout of the repo.
 */
function viewerDir(given: string | undefined): string {
  const candidates = given ? [given] : [process.env.CELLFOLIO_VIEWER_DIR, fileURLToPath(new URL("./viewer", import.meta.url))].filter((d): d is string => !!d);
  const dir = candidates.find((d) => existsSync(path.join(d, "index.html")));
  if (!dir) throw new Error(`the viewer is not built (no index.html in ${candidates.join(" or ")}): run \`npx turbo run build --filter=@cellfolio/cli\` (it builds the viewer and copies it into the cli)`);
  return dir;
}

export const viewCommand: Command = {
  name: "view",
  summary: "browse a dataset's cells in the web viewer (serves it on 127.0.0.1)",
  help: `${usage}

Serves FILE_OR_DIR (an .h5sc / .h5ad file or a .zarr directory) and the web
viewer on 127.0.0.1 with HTTP range requests, and prints the URL to open.
Runs until Ctrl-C.

  --port N       port to listen on (default: a free one)
  --viewer DIR   a built viewer (default: the one shipped in this package)

example: cellfolio view out/sample.zarr --port 8080`,
  async run(argv) {
    const p = parse(argv, { port: { type: "string" }, viewer: { type: "string" } }, usage);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_DIR\nusage: ${usage}`);
    const dataset = p.positionals[0];
    if (!existsSync(dataset)) throw new Error(`${dataset}: no such file or directory`);
    const port = int(p, "port", { min: 0 }) ?? 0;
    const served = await serve({ dataset, viewerDir: viewerDir(str(p, "viewer")), port });
    process.stdout.write(`serving ${dataset}\nopen ${served.url}\n(Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        served.close().then(done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};
