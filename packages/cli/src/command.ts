/** One subcommand: its name, one-line summary, full help and its runner (returns the exit code). */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}
