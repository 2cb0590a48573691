// How the CLI speaks about errors: in flags. The libraries name their options
// as the API does (`size`, `nuclearChannel`, "pass overwrite"); this is the
// one place that says which flag each of them is, so every message a user
// sees names the flag, the value and what to do.
import { CellfolioError } from "@cellfolio/format";

/** A mistake in how the command was called: exit code 2, with the usage line. */
export class UsageError extends CellfolioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("usage", "", undefined, message, options);
    this.name = "UsageError";
  }
}

/** A problem with the inputs the CLI itself found (exit code 1): said in flags already. */
export class InputError extends CellfolioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("input", "", undefined, message, options);
    this.name = "InputError";
  }
}

/** The exit codes a script can rely on (README "Exit codes", and every --help). */
export const EXIT = { ok: 0, invalid: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** Library option name -> the flag that sets it. */
export const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  image: "--image",
  nucleus: "--nucleus",
  cytosol: "--cytosol",
  out: "--out",
  size: "--size",
  preset: "--preset",
  sigma: "--sigma",
  dilation: "--dilation",
  nuclearChannel: "--nuclear-channel",
  channelNames: "--channel-names",
  labels: "--labels",
  labelsIdColumn: "--labels",
  border: "--border",
  cellIds: "--cell-ids",
  threads: "--threads",
  zarrFormat: "--zarr-format",
  compression: "--compression",
  overwrite: "--overwrite",
  shardRows: "--shard-rows",
  part: "--part",
  parts: "--part",
  chunks: "--chunks",
  channels: "--channels",
  quantiles: "--preset",
};

/** Phrases of library messages that name an option as the API does, and how the CLI says them. */
const PHRASES: [RegExp, string][] = [
  [/\(pass overwrite to replace it\)/g, "; pass --overwrite to replace it"],
  [/\(pass overwrite\)/g, "(pass --overwrite to replace it)"],
  [/\bor overwrite to replace it\b/g, "or pass --overwrite to replace it"],
  [/\boverwrite replaces only\b/g, "--overwrite replaces only"],
  [/\bborder "pad"/g, "--border pad"],
  [/\bborder "drop"/g, "--border drop"],
];

/** A library's error in flags: "size: expected an even integer >= 2, got 33" -> "--size 33: expected an even integer >= 2". */
export function inFlags(err: Error, argv: string[] = []): string {
  let msg = (err.message || String(err)).split("\n")[0];
  // extract's ExtractError: `${input}: ${problem}`, input being an option name or a path.
  const input = (err as { input?: unknown }).input;
  const param = (err as { param?: unknown }).param;
  const option = typeof input === "string" ? input : typeof param === "string" ? param : undefined;
  if (option !== undefined && Object.hasOwn(FLAG_OF_OPTION, option)) {
    const flag = FLAG_OF_OPTION[option];
    const problem = msg.replace(/^extraction parameter "[^"]*": /, "").replace(new RegExp(`^${option}: `), "");
    msg = flagged(flag, problem, valueIn(argv, flag));
  }
  for (const [re, to] of PHRASES) msg = msg.replace(re, to);
  return msg.replace(/ +;/g, ";");
}

function flagged(flag: string, problem: string, given: string | undefined): string {
  // "expected X, got V" -> "--flag V: expected X"
  const got = /^(.*?),? got (.+)$/.exec(problem);
  if (got) return `${flag} ${got[2]}: ${got[1]}`;
  // "V; expected X" -> "--flag V: expected X"
  const lead = /^([^\s;:]+); (.*)$/.exec(problem);
  if (lead) return `${flag} ${lead[1]}: ${lead[2]}`;
  // "600 is larger than ..." reads on after the flag; otherwise the value as given
  if (given === undefined || problem.startsWith(`${given} `) || problem.startsWith(`${given}:`)) return `${flag} ${problem}`;
  return `${flag} ${given}: ${problem}`;
}

/** The value given to `flag` on the command line (`--flag V` or `--flag=V`). */
export function valueIn(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith(`${flag}=`)) return argv[i].slice(flag.length + 1);
  }
  return undefined;
}
