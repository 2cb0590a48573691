// cellfolio info: what a file holds.
import { openStore } from "@cellfolio/format";
import { type CommandSpec, flag, helpText, parse, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { type StoreSummary, summarize } from "../inspect.js";

const spec: CommandSpec = {
  name: "info",
  positionals: "FILE_OR_URL",
  options: [{ name: "json", help: "one JSON document on stdout, for scripts" }],
  about: `Prints the backend (HDF5 or Zarr v2/v3), n_obs and n_vars, every element with
its encoding, shape, dtype, chunks and compression, and for single-cell image
datasets the number of cells, channels, image size and extraction preset.
Reads metadata only.`,
  examples: ["cellfolio info out/sample.h5sc"],
};

export const infoCommand: Command = {
  name: "info",
  summary: "show what an AnnData file or store holds (local or over HTTP)",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError(`expected one FILE_OR_URL, got ${p.positionals.length}\nusage: ${usageLine(spec)}`);
    const reader = await openStore(p.positionals[0]);
    try {
      const summary = await summarize(reader);
      process.stdout.write(flag(p, "json") ? `${JSON.stringify(summary, null, 2)}\n` : render(summary));
    } finally {
      await reader.close();
    }
    return 0;
  },
};

function render(s: StoreSummary): string {
  const lines: string[] = [];
  const backend = s.backend === "zarr" ? `Zarr v${s.zarrFormat}` : s.backend.toUpperCase();
  lines.push(`${s.source}`);
  lines.push(`  backend   ${backend}`);
  lines.push(`  n_obs     ${s.nObs ?? "-"}`);
  lines.push(`  n_vars    ${s.nVars ?? "-"}`);
  if (s.singleCell) {
    const c = s.singleCell;
    lines.push("  single-cell images");
    lines.push(`    layout     ${c.layout}`);
    lines.push(`    cells      ${c.nCells}`);
    lines.push(`    channels   ${c.nChannels} (${c.channelNames.map((n, i) => `${n}${c.channelMapping[i] === "mask" ? " [mask]" : ""}`).join(", ")})`);
    lines.push(`    image size ${c.imageSize} x ${c.imageSize}`);
    lines.push(`    preset     ${c.preset ?? "-"}`);
    lines.push(`    stored as  ${c.dtype}, chunks ${c.chunks ? `(${c.chunks.join(", ")})` : "contiguous"}, ${c.compression}`);
  }
  lines.push("  elements");
  for (const e of s.elements) {
    if (e.path === "/") continue;
    const enc = e.encodingType ? `${e.encodingType} ${e.encodingVersion ?? ""}`.trim() : e.kind;
    const arr =
      e.kind === "array"
        ? ` ${e.dtype} (${e.shape?.join(", ")})${e.chunks ? ` chunks (${e.chunks.join(", ")})` : ""}${e.shards ? ` shards (${e.shards.join(", ")})` : ""} ${e.compression ?? ""}`
        : "";
    lines.push(`    ${e.path.padEnd(40)} ${enc}${arr}`);
  }
  return `${lines.join("\n")}\n`;
}
