// cellfolio validate: every problem with its element path; exit 1 if any.
import { existsSync } from "node:fs";
import path from "node:path";
import { checkParts, isFinalized } from "@cellfolio/extract";
import { openStore } from "@cellfolio/format";
import { type CommandSpec, flag, helpText, parse, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { validateStore } from "../validate.js";

const spec: CommandSpec = {
  name: "validate",
  positionals: "FILE_OR_URL",
  options: [
    { name: "metadata-only", help: "do not read the arrays' data" },
    { name: "json", help: "problems as JSON on stdout" },
  ],
  about: `Checks every element's encoding-type / encoding-version and the parts each
encoding needs (by format's encoding registry: an error is what anndata
cannot read; a file of anndata < 0.8 is named in a note), the shapes against
n_obs / n_vars, the single-cell layout
(obsm/single_cell_images, obs/scportrait_cell_id,
uns/single_cell_images), and reads every chunk once so a corrupt or
truncated chunk is found. Lists every problem with its element path.
Names the single-cell layout found (scPortrait 1.3.0, 1.3.1, >= 1.3.3,
SPARCSpy) and, as notes, what a newer scPortrait would write differently.
Exit 0 when valid (warnings and notes allowed), 1 when a problem is found.`,
  examples: ["cellfolio validate out/sample.h5sc"],
};

export const validateCommand: Command = {
  name: "validate",
  summary: "check the AnnData encodings and the single-cell layout; read every chunk",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_URL, got ${p.positionals.length}\nusage: ${usageLine(spec)}`);
    const source = p.positionals[0];
    await refuseUnfinishedParts(source);
    const reader = await openStore(source);
    let problems: Awaited<ReturnType<typeof validateStore>>;
    try {
      problems = await validateStore(reader, { readData: !flag(p, "metadata-only") });
    } finally {
      await reader.close();
    }
    const errors = problems.filter((x) => x.severity === "error");
    if (flag(p, "json")) {
      process.stdout.write(`${JSON.stringify({ source, valid: errors.length === 0, problems }, null, 2)}\n`);
    } else {
      for (const x of problems) process.stdout.write(`${x.severity}: ${x.path}: ${x.message}\n`);
      const warnings = problems.filter((x) => x.severity === "warning").length;
      process.stdout.write(errors.length === 0 ? `${source}: valid${warnings ? ` (${warnings} warnings)` : ""}\n` : `${source}: ${errors.length} problems\n`);
    }
    return errors.length === 0 ? 0 : 1;
  },
};

/** A store that cluster parts are still filling is not a dataset yet: say what is left to do. */
async function refuseUnfinishedParts(source: string): Promise<void> {
  if (!existsSync(path.join(source, ".cellfolio", "plan.json")) || (await isFinalized(source))) return;
  const { problems } = await checkParts(source);
  const state = problems.length ? `${problems.join("; ")}; then run` : "every part is complete: run";
  throw new Error(`${source}: an unfinished extraction in parts (no AnnData yet): ${state} cellfolio extract --finalize ${source}`);
}
