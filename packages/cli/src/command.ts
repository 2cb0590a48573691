import type { CommandSpec } from "./args.js";

/** One subcommand: its name, one-line summary, its options (help and usage come from them) and its runner (returns the exit code). */
export interface Command {
  name: string;
  summary: string;
  spec: CommandSpec;
  help: string;
  run(argv: string[]): Promise<number>;
}
