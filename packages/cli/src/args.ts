// Argument parsing for every command in one place: node's parseArgs, with
// usage errors (exit 2) for unknown options, missing values and bad numbers.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec, usage: string): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" }, verbose: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]}\nusage: ${usage}`);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function required(p: Parsed, name: string, usage: string): string {
  const v = str(p, name);
  if (v === undefined || v === "") throw new UsageError(`missing --${name}\nusage: ${usage}`);
  return v;
}

export function int(p: Parsed, name: string, opts: { min?: number; choices?: number[] } = {}): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be >= ${opts.min}, got ${n}`);
  if (opts.choices && !opts.choices.includes(n)) throw new UsageError(`--${name} must be one of ${opts.choices.join(", ")}, got ${n}`);
  return n;
}

export function num(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

export function choice<T extends string>(p: Parsed, name: string, choices: readonly T[]): T | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${v}"`);
  return v as T;
}

export function list(p: Parsed, name: string): string[] | undefined {
  const v = str(p, name);
  return v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}
