// The README's round trip through annbatch (section ANNBATCH_SECTION), run
// as written there: shared by the cli's peer test and the viewer's test.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PEERS_ROOT, REPO_ROOT, TEST_DATA } from "./oracle.js";

export const ANNBATCH_SECTION = "### An annbatch collection of `.h5sc` files, read back";
const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");

/** The fenced blocks of one language (sh, python, js) in the README's annbatch section. */
export function readmeBlocks(lang: string): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`${ANNBATCH_SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no section "${ANNBATCH_SECTION}"`);
  const rest = readme.slice(start + ANNBATCH_SECTION.length);
  const end = rest.search(/^#{2,3} /m);
  const text = end < 0 ? rest : rest.slice(0, end);
  return [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm"))].map((m) => m[1]);
}

/** A README command run in `dir`: `npx cellfolio` is the built bin, `python` the latest peer's. */
export function runReadmeCommand(dir: string, command: string): string {
  const [first, ...args] = command.trim().split(/\s+/);
  let cmd: string;
  let argv: string[];
  if (first === "npx" && args[0] === "cellfolio") [cmd, argv] = [process.execPath, [BIN, ...args.slice(1)]];
  else if (first === "python") [cmd, argv] = [path.join(PEERS_ROOT, "latest/bin/python"), args];
  else throw new Error(`README command this test does not know how to run: ${command}`);
  const res = spawnSync(cmd, argv, { cwd: dir, encoding: "utf8", env: { ...process.env, PYTHONWARNINGS: "ignore" } });
  if (res.status !== 0) throw new Error(`${command} (exit ${res.status}): ${res.stderr}`);
  return res.stdout;
}

/**
 * In `dir` (test-data linked there): the README's sh block but its `view`
 * (extract to out/sample.h5sc, make_collection.py to out/collection.zarr,
 * one dataset), and the same script with fewer cells a dataset to
 * out/three.zarr (three datasets). Returns the view command, not run.
 */
export function makeCollections(dir: string): string {
  const [sh, ...moreSh] = readmeBlocks("sh");
  const [script, ...moreScripts] = readmeBlocks("python");
  if (!sh || !script || moreSh.length || moreScripts.length) throw new Error(`${ANNBATCH_SECTION}: expected one sh and one python block`);
  symlinkSync(TEST_DATA, path.join(dir, "test-data"));
  mkdirSync(path.join(dir, "out"));
  writeFileSync(path.join(dir, "make_collection.py"), script);
  const commands = sh.split("\n").filter((l) => l.trim());
  const view = commands.filter((c) => / view /.test(c));
  if (view.length !== 1) throw new Error(`${ANNBATCH_SECTION}: expected one cellfolio view command`);
  for (const c of commands) if (c !== view[0]) runReadmeCommand(dir, c);
  if (!script.includes("dataset_size=100_000")) throw new Error(`${ANNBATCH_SECTION}: the script no longer sets dataset_size=100_000`);
  // shuffled runs of 20 cells, five runs a dataset: 228 cells in three
  writeFileSync(path.join(dir, "make_three.py"), script.replace("dataset_size=100_000", "dataset_size=100, shuffle_chunk_size=20"));
  runReadmeCommand(dir, "python make_three.py out/three.zarr out/sample.h5sc");
  return view[0];
}
