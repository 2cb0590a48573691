// Entry of the `cellfolio` command: picks the subcommand, maps errors to exit codes.
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`cellfolio: no commands yet (${argv.join(" ")})\n`);
  return 2;
}
