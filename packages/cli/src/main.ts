// Entry of the `cellfolio` command: picks the subcommand and maps errors to
// exit codes (0 ok, 1 bad input or a failed check, 2 usage error; 130 / 143
// when interrupted, see interrupt.ts). Every message is said in flags
// (errors.ts inFlags).

import { EXIT_CODES_HELP, nearest } from "./args.js";
import type { Command } from "./command.js";
import { convertCommand } from "./commands/convert.js";
import { exportCommand } from "./commands/export.js";
import { extractCommand } from "./commands/extract.js";
import { infoCommand } from "./commands/info.js";
import { lmdCommand } from "./commands/lmd.js";
import { referenceCommand } from "./commands/reference.js";
import { validateCommand } from "./commands/validate.js";
import { viewCommand } from "./commands/view.js";
import { EXIT, InputError, inFlags, UsageError } from "./errors.js";

export const COMMANDS: Command[] = [extractCommand, convertCommand, infoCommand, validateCommand, exportCommand, viewCommand, referenceCommand, lmdCommand];

function help(): string {
  const lines = [
    "cellfolio — single-cell image datasets (AnnData on HDF5 and Zarr)",
    "",
    "usage: cellfolio <command> [options]",
    "       cellfolio help <command>   (or cellfolio <command> --help): the command's options",
    "       cellfolio --version",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "every command takes --help, and --verbose (on an error, also print its stack trace)",
    "",
    EXIT_CODES_HELP,
  ];
  return lines.join("\n");
}

function unknownCommand(name: string): string {
  const guess = nearest(name, COMMANDS.map((c) => c.name));
  return `unknown command "${name}"${guess ? `; did you mean ${guess}?` : ""} (commands: ${COMMANDS.map((c) => c.name).join(", ")}; cellfolio --help)`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? process.stderr : process.stdout).write(`${help()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "help") {
    if (rest.length === 0) {
      process.stdout.write(`${help()}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (!command) {
      process.stderr.write(`cellfolio help: ${unknownCommand(rest[0])}\n`);
      return EXIT.usage;
    }
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`cellfolio: ${name.startsWith("-") ? `unknown option ${name} before the command (cellfolio <command> [options]; cellfolio --help)` : unknownCommand(name)}\n`);
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
    const e = err as Error;
    const usage = err instanceof UsageError;
    const text = usage || err instanceof InputError ? e.message : inFlags(e, rest);
    process.stderr.write(`cellfolio ${name}: ${text}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return usage ? EXIT.usage : EXIT.invalid;
  }
}

declare const __CELLFOLIO_VERSION__: string | undefined;
const VERSION = typeof __CELLFOLIO_VERSION__ === "string" ? __CELLFOLIO_VERSION__ : "0.1.0";
