// cellfolio view: serves a local dataset and the built viewer on 127.0.0.1.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDataset, splitZarrGroup } from "@cellfolio/lazy";
import { labelsCsvPath, labelsWriter } from "../annotate.js";
import { type CommandSpec, flag, helpText, int, parse, str, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { InputError, inFlags, UsageError } from "../errors.js";
import { serve } from "../serve.js";

/**
 * The built viewer: --viewer, CELLFOLIO_VIEWER_DIR, or the copy this package
 * ships (dist/viewer, copied there by the cli's build), found beside the
 * bundled code, so an installed `cellfolio` needs no checkout of the repo.
 */
function viewerDir(given: string | undefined): string {
  const candidates = given ? [given] : [process.env.CELLFOLIO_VIEWER_DIR, fileURLToPath(new URL("./viewer", import.meta.url))].filter((d): d is string => !!d);
  const dir = candidates.find((d) => existsSync(path.join(d, "index.html")));
  if (!dir) throw new InputError(`the viewer is not built (no index.html in ${candidates.join(" or ")}): run \`npx turbo run build --filter=@cellfolio/cli\` (it builds the viewer and copies it into the cli)`);
  return dir;
}

const spec: CommandSpec = {
  name: "view",
  positionals: "FILE_OR_DIR",
  options: [
    { name: "port", value: "N", help: "port to listen on (default: a free one)" },
    { name: "viewer", value: "DIR", help: "a built viewer (default: the one shipped in this package)" },
    { name: "annotate", help: "let the page save labels: into the dataset (an obs column) or FILE_OR_DIR.labels.csv\n(with the token printed in the URL; no other writes)" },
    { name: "slide", value: "TIFF_OR_ZARR", help: "the slide the cells were cut from (OME-TIFF, or an OME-Zarr directory): an overview with the cells, and each cell in place\n(default: the image extract recorded in uns, when that file is there)" },
    { name: "cors", value: "ORIGIN", help: "let pages of ORIGIN (e.g. http://localhost:5173) read the dataset (default: none)" },
  ],
  about: `Serves FILE_OR_DIR (an .h5sc / .h5ad file or a .zarr directory written by
cellfolio extract or convert, or a group inside one such as a dataset of an
annbatch collection, x.zarr/dataset_1) and the web viewer on 127.0.0.1 with HTTP range
requests, and prints the URL to open. The dataset is opened first: anything
that is not a single-cell image dataset is refused before serving. Only
files inside the dataset and the viewer are served (no symlink out of them),
only to requests for 127.0.0.1 / localhost. Runs until Ctrl-C.

With --annotate the page can save the labels given to cells: the URL printed
carries a token that every save must send; saves come only from the page
itself and write only the dataset (rewritten under a temporary name, then
renamed) or FILE_OR_DIR.labels.csv beside it.`,
  examples: ["cellfolio view out/sample.zarr --port 8080", "cellfolio view out/sample.h5sc --annotate"],
};

export const viewCommand: Command = {
  name: "view",
  summary: "browse a dataset's cells in the web viewer (serves it on 127.0.0.1)",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_DIR, got ${p.positionals.length}\nusage: ${usageLine(spec)}`);
    const dataset = p.positionals[0];
    const port = int(p, "port", { min: 0, max: 65535 }) ?? 0;
    const cors = str(p, "cors");
    if (cors !== undefined && !/^https?:\/\/[^/\s]+$/.test(cors)) throw new UsageError(`--cors ${cors}: expected one origin such as http://localhost:5173 (scheme and host, no path, no *)`);
    if (!existsSync(dataset)) throw new InputError(`${dataset}: no such file or directory`);
    const recorded = await checkDataset(dataset);
    const token = flag(p, "annotate") ? randomBytes(18).toString("base64url") : undefined;
    const annotate = token ? { token, write: labelsWriter(dataset) } : undefined;
    const given = str(p, "slide");
    if (given !== undefined && !existsSync(given)) throw new InputError(`--slide ${given}: no such file or directory`);
    // without --slide: the slide extract recorded, when it is still there
    const slide = given ?? (recorded && existsSync(recorded) ? recorded : undefined);
    // a group inside a .zarr (one dataset of an annbatch collection): the store is served, the page opens the group
    const inner = splitZarrGroup(dataset);
    const served = await serve({ dataset: inner?.root ?? dataset, open: inner?.group, viewerDir: viewerDir(str(p, "viewer")), port, cors, annotate, slide }).catch((e) => {
      const code = (e as { code?: string }).code;
      if (code === "EADDRINUSE") throw new InputError(`--port ${port}: 127.0.0.1:${port} is in use by another program; expected a free port: give another --port, or none for a free one`);
      if (code === "EACCES") throw new InputError(`--port ${port}: not allowed to listen on port ${port} (ports below 1024 need privileges); expected a port from 1024, or no --port for a free one`);
      throw e;
    });
    // the token in the fragment: the page reads it, the browser never sends it in a request line or a Referer
    const url = token ? `${served.url}#annotate=${token}` : served.url;
    const notes = token ? `annotate: labels are saved to ${dataset} (obs) or ${labelsCsvPath(dataset)}\ntoken: ${token}\n` : "";
    process.stdout.write(`serving ${dataset}\nopen ${url}\n${notes}(Ctrl-C to stop)\n`);
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

/**
 * Opens the dataset as the page will, so a wrong file is an error here and not
 * a blank page; gives the slide extract recorded, if any.
 */
async function checkDataset(dataset: string): Promise<string | undefined> {
  let ds: Awaited<ReturnType<typeof openDataset>>;
  try {
    ds = await openDataset(dataset);
  } catch (e) {
    const problem = String((e as { problem?: string }).problem ?? inFlags(e as Error));
    // lazy's own refusal says "not a single-cell image dataset (...)" already
    const what = problem.includes("not a single-cell image dataset") ? problem.replace(/^missing: /, "") : `not a single-cell image dataset (${problem})`;
    throw new InputError(`${dataset}: ${what}; expected an .h5sc / .h5ad file or a .zarr store written by cellfolio extract or convert`);
  }
  const slide = ds.info.sourceImage;
  await ds.close();
  return slide;
}
