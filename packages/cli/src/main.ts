// Entry of the `cellfolio` command: picks the subcommand and maps errors to
// exit codes (0 ok, 1 invalid input or validation failure, 2 usage error).

import type { Command } from "./command.js";
import { convertCommand } from "./commands/convert.js";
import { exportCommand } from "./commands/export.js";
import { extractCommand } from "./commands/extract.js";
import { infoCommand } from "./commands/info.js";
import { validateCommand } from "./commands/validate.js";
import { viewCommand } from "./commands/view.js";
import { EXIT, UsageError } from "./errors.js";

export const COMMANDS: Command[] = [extractCommand, convertCommand, infoCommand, validateCommand, exportCommand, viewCommand];

function help(): string {
  const lines = [
    "cellfolio — single-cell image datasets (AnnData on HDF5 and Zarr)",
    "",
    "usage: cellfolio <command> [options]   (cellfolio <command> --help for its options)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "exit codes: 0 success, 1 invalid input or validation failure, 2 usage error",
  ];
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? process.stderr : process.stdout).write(`${help()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`cellfolio: unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  const verbose = rest.includes("--verbose");
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`cellfolio ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    const e = err as Error;
    process.stderr.write(`cellfolio ${name}: ${oneLine(e)}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return EXIT.invalid;
  }
}

function oneLine(e: Error): string {
  const msg = e.message || String(e);
  return msg.split("\n")[0];
}

declare const __CELLFOLIO_VERSION__: string | undefined;
const VERSION = typeof __CELLFOLIO_VERSION__ === "string" ? __CELLFOLIO_VERSION__ : "0.1.0";
