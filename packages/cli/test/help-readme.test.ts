// The README's option tables and each command's --help list the same options:
// every option in the README is in the help, and the other way round.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../test-utils/oracle.js";
import { COMMON_OPTIONS, usageLine } from "../src/args.js";
import { COMMANDS } from "../src/main.js";

const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The options of the README's "#### `cellfolio NAME ...`" table: the first cell of each row. */
function readmeOptions(name: string): string[] {
  const start = README.search(new RegExp(`^#### \`cellfolio ${name}[ \`]`, "m"));
  expect(start, `README has no "#### \`cellfolio ${name}\`" section`).toBeGreaterThanOrEqual(0);
  const rest = README.slice(start + 5);
  const section = rest.slice(0, rest.search(/^#{2,4} /m) >= 0 ? rest.search(/^#{2,4} /m) : undefined);
  return section
    .split("\n")
    .filter((l) => l.startsWith("| `--"))
    .map((l) => /^\| `(--[a-z-]+)/.exec(l)?.[1] as string);
}

/** The options of a command's --help: the lines of its "options:" block. */
function helpOptions(help: string): string[] {
  const block = help.slice(help.indexOf("\noptions:\n") + 10).split("\n\n")[0];
  return block
    .split("\n")
    .map((l) => /^ {2}(--[a-z-]+)/.exec(l)?.[1])
    .filter((o): o is string => o !== undefined);
}

describe("README and --help", () => {
  const common = COMMON_OPTIONS.map((o) => `--${o.name}`);
  it.each(COMMANDS.map((c) => [c.name, c] as const))("%s: the same options in both, and all in the usage line", (name, command) => {
    const inReadme = readmeOptions(name);
    const inHelp = helpOptions(command.help).filter((o) => !common.includes(o));
    expect(inReadme.length).toBeGreaterThan(0);
    expect([...inReadme].sort()).toEqual([...inHelp].sort());
    const usage = usageLine(command.spec);
    for (const o of inHelp) expect(usage).toContain(o);
    for (const o of common) expect(command.help).toContain(o);
  });

  it("every flag the README mentions anywhere is an option of some command", () => {
    const all = new Set(COMMANDS.flatMap((c) => c.spec.options.flatMap((o) => [o.name, ...(o.aliases ?? [])])).concat(COMMON_OPTIONS.map((o) => o.name)));
    all.add("version");
    const cliSection = README.slice(README.indexOf("## The `cellfolio` command"), README.indexOf("## What is stored"));
    const mentioned = [...new Set([...cliSection.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))];
    expect(mentioned.filter((m) => !all.has(m))).toEqual([]);
  });
});
