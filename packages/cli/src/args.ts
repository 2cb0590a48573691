// Options of every command in one table each: the parser, the usage line and
// the help text are made from it, so the three cannot disagree. Parsing is
// node's parseArgs, with usage errors (exit 2) that name the flag, the value
// and what is expected, and "did you mean" for unknown options.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.js";

/** One option of a command. */
export interface OptionDef {
  /** The long name, without the dashes. */
  name: string;
  /** The placeholder of its value (`N`, `a,b,c`); none for a switch. */
  value?: string;
  /** One line (or a few) for the help. */
  help: string;
  /** Whether the usage line shows it outside brackets. */
  required?: boolean;
  /** Other names accepted for it (kept for old scripts; not in the usage line). */
  aliases?: string[];
  /** Shown in the usage line as an alternative group, e.g. "a|b" pairs; purely cosmetic. */
  usage?: string;
  /** May be given more than once (read with `strs`). */
  multiple?: boolean;
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionDef[] = [
  { name: "verbose", help: "on an error, also print its stack trace" },
  { name: "help", help: "this help (also: cellfolio help COMMAND)" },
];

export interface CommandSpec {
  name: string;
  /** Positional arguments as the usage line shows them, e.g. "IN OUT". */
  positionals?: string;
  options: OptionDef[];
  /** Further usage lines (other forms of the command). */
  moreUsage?: string[];
  about: string;
  examples: string[];
}

export const EXIT_CODES_HELP = "exit codes: 0 success, 1 bad input (a file, a value that does not fit the data, a failed check), 2 usage error (unknown or malformed option), 130 / 143 interrupted (Ctrl-C / SIGTERM)";

const flagText = (o: OptionDef) => `--${o.name}${o.value ? ` ${o.value}` : ""}`;

/** `cellfolio extract --image IMG --nucleus MASK [--cytosol MASK] ...`: every option. */
export function usageLine(spec: CommandSpec): string {
  const parts = [`cellfolio ${spec.name}`];
  if (spec.positionals) parts.push(spec.positionals);
  for (const o of spec.options) {
    const text = o.usage ?? (o.required ? flagText(o) : `[${flagText(o)}]`);
    if (text) parts.push(text);
  }
  return [parts.join(" "), ...(spec.moreUsage ?? [])].join("\n       ");
}

/** The full help of a command: usage, what it does, every option, examples, exit codes. */
export function helpText(spec: CommandSpec): string {
  const all = [...spec.options, ...COMMON_OPTIONS];
  const width = Math.max(...all.map((o) => flagText(o).length)) + 2;
  const optionLines = all.flatMap((o) => {
    const lines = o.help.split("\n");
    const alias = o.aliases?.length ? ` (also ${o.aliases.map((a) => `--${a}`).join(", ")})` : "";
    return [`  ${flagText(o).padEnd(width)} ${lines[0]}${alias}`, ...lines.slice(1).map((l) => `  ${"".padEnd(width)} ${l}`)];
  });
  return [
    `usage: ${usageLine(spec)}`,
    "",
    spec.about,
    "",
    "options:",
    ...optionLines,
    "",
    ...spec.examples.map((e, i) => `${i === 0 ? "example:" : "        "} ${e}`),
    "",
    EXIT_CODES_HELP,
  ].join("\n");
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** The nearest of `names` to `given` when near enough to be a slip (or a prefix of it), else undefined. */
export function nearest(given: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = n.startsWith(given) || given.startsWith(n) ? Math.min(1, distance(given, n)) : distance(given, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

export function parse(argv: string[], spec: CommandSpec): Parsed {
  const usage = usageLine(spec);
  const all = [...spec.options, ...COMMON_OPTIONS];
  const config: NonNullable<ParseArgsConfig["options"]> = {};
  const canonical = new Map<string, OptionDef>();
  for (const o of all) {
    for (const n of [o.name, ...(o.aliases ?? [])]) {
      config[n] = { type: o.value ? "string" : "boolean", ...(o.multiple ? { multiple: true } : {}) };
      canonical.set(n, o);
    }
  }
  config.help.short = "h";
  // Unknown options first, with the nearest known one: parseArgs's own text
  // tells about positionals starting with '-', which is not the likely slip.
  for (const arg of argv) {
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) continue;
    const name = arg.replace(/^--?/, "").split("=")[0];
    if (arg === "-h" || canonical.has(name)) continue;
    const guess = nearest(name, [...canonical.keys()]);
    throw new UsageError(`unknown option ${arg.split("=")[0]}${guess ? `; did you mean --${canonical.get(guess)?.name}?` : ""}\nusage: ${usage}`);
  }
  // A negative number is a value (--sigma -1), which parseArgs takes for an option.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const def = argv[i].startsWith("--") ? canonical.get(argv[i].slice(2)) : undefined;
    if (def?.value && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  let values: Parsed["values"];
  let positionals: string[];
  try {
    const parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true, tokens: true });
    ({ values, positionals } = parsed as Parsed);
    // An option of one value given twice: the last would win without a word (--image twice
    // took the second file as the image); said instead, with both values.
    const seen = new Map<string, string>();
    for (const t of parsed.tokens ?? []) {
      if (t.kind !== "option" || t.value === undefined) continue;
      const def = canonical.get(t.name);
      if (!def || def.multiple) continue;
      const before = seen.get(def.name);
      if (before !== undefined) throw new UsageError(`--${def.name} given twice (${before}, ${t.value}); expected it once\nusage: ${usage}`);
      seen.set(def.name, t.value);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as Error & { code?: string };
    const flag = /'(--?[\w-]+)/.exec(e.message)?.[1] ?? "";
    const def = canonical.get(flag.replace(/^--?/, ""));
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && def?.value) {
      throw new UsageError(`${flag} needs a value (${flagText(def)})\nusage: ${usage}`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && def) {
      throw new UsageError(`${flag} is a switch and takes no value (write ${flag} alone)\nusage: ${usage}`);
    }
    throw new UsageError(`${e.message.split("\n")[0]}\nusage: ${usage}`);
  }
  // A value that looks like an option is almost always a forgotten value: --size --out x.
  for (const [k, v] of Object.entries(values)) {
    const def = canonical.get(k);
    if (typeof v === "string" && def && /^--[a-z]/.test(v) && canonical.has(v.slice(2).split("=")[0])) {
      throw new UsageError(`--${def.name} needs a value (${flagText(def)}), got the option ${v}\nusage: ${usage}`);
    }
  }
  // Aliases land on the option's own name.
  for (const o of all) {
    for (const a of o.aliases ?? []) {
      if (values[a] === undefined) continue;
      if (values[o.name] !== undefined) throw new UsageError(`give --${o.name} or --${a}, not both\nusage: ${usage}`);
      values[o.name] = values[a];
      delete values[a];
    }
  }
  return { values, positionals };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

/** Every value of an option given more than once (`multiple` in its OptionDef). */
export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function required(p: Parsed, name: string, spec: CommandSpec): string {
  const v = str(p, name);
  const def = spec.options.find((o) => o.name === name);
  if (v === undefined || v === "") throw new UsageError(`missing --${name}${def?.value ? ` ${def.value}` : ""}: ${def?.help.split("\n")[0] ?? "required"}\nusage: ${usageLine(spec)}`);
  return v;
}

export function int(p: Parsed, name: string, opts: { min?: number; max?: number; choices?: number[]; even?: boolean } = {}): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const kind = opts.even ? "an even integer" : "an integer";
  const what = opts.choices
    ? `one of ${opts.choices.join(", ")}`
    : opts.min !== undefined && opts.max !== undefined
      ? `${kind} from ${opts.min} to ${opts.max}`
      : `${kind}${opts.min !== undefined ? ` >= ${opts.min}` : ""}${opts.max !== undefined ? ` <= ${opts.max}` : ""}`;
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected ${what}`);
  const n = Number(v);
  const out = (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max) || (opts.choices && !opts.choices.includes(n)) || (opts.even && n % 2 !== 0);
  if (out) throw new UsageError(`--${name} ${n}: expected ${what}`);
  return n;
}

export function num(p: Parsed, name: string, opts: { positive?: boolean } = {}): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (opts.positive && n <= 0)) {
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected ${opts.positive ? "a positive number" : "a number"}`);
  }
  return n;
}

export function choice<T extends string>(p: Parsed, name: string, choices: readonly T[]): T | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) {
    const guess = nearest(v, [...choices]);
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected one of ${choices.join(", ")}${guess ? ` (did you mean ${guess}?)` : ""}`);
  }
  return v as T;
}

export function list(p: Parsed, name: string): string[] | undefined {
  const v = str(p, name);
  return v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A comma list of cellIDs (positive integers), as --cell-ids takes it. */
export function idList(p: Parsed, name: string): number[] | undefined {
  const items = list(p, name);
  if (items === undefined) return undefined;
  const bad = items.filter((s) => !/^\d+$/.test(s));
  if (bad.length > 0 || items.length === 0) {
    throw new UsageError(`--${name} ${JSON.stringify(str(p, name))}: expected cellIDs as integers separated by commas (e.g. --${name} 12,40,41)${bad.length ? `; not an integer: ${bad.join(", ")}` : ""}`);
  }
  return items.map(Number);
}
