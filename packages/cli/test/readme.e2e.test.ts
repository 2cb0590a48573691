// The README as a new user follows it. A clone of this repository's committed
// HEAD in an empty temporary folder (nothing beside it: no fixtures, no
// build, no node_modules), then, in the clone:
//   1. the first command of the README's Set-up block (`npm ci && npm run sample`),
//   2. `npx cellfolio --version`,
//   3. every command of the README's CLI block(s), exactly as written,
// each checked for its exit code, its output and the files it says it wrote;
// at the end every dataset the commands wrote is read with Python's h5py /
// zarr-python and must hold the same images as the extraction.
//
// The commands come from README.md itself (the committed one, which is what
// the clone holds), so the README and this test cannot drift apart. A
// command that cannot run here is not run only when a rule of NOT_RUN names
// it, and shows up as a skipped test saying which rule and why. A command no
// rule or check knows fails the test.
//
// npm uses its local cache first (`prefer-offline`) and still reaches the
// registry where the cache lacks a package (CI); `npx` runs offline, so a
// missing local bin fails instead of fetching a registry package.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasZarr3, py, pyZarr3, REPO_ROOT } from "../../../test-utils/oracle.js";

/** Commands of the README this test does not run, each with the reason. */
const NOT_RUN: { rule: string; why: string; matches: (command: string) => boolean }[] = [
  {
    rule: "placeholder",
    why: "`...` stands for options the reader fills in; the command cannot run as written",
    matches: (c) => /(^|\s)\.\.\.(\s|$)/.test(c),
  },
  {
    rule: "cluster file system",
    why: "reads or writes /shared/..., a cluster's shared file system outside the clone (parts are tested in packages/extract/test/parts)",
    matches: (c) => /(^|\s)\/shared\//.test(c),
  },
];

/** The fenced ```sh blocks under the level-2 heading that starts with `heading`. */
export function shellBlocks(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`## ${heading}`));
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const blocks: string[] = [];
  let block: string[] | null = null;
  for (const line of lines.slice(start + 1)) {
    if (block === null && /^## /.test(line)) break;
    if (block === null && /^```(sh|bash|shell)\s*$/.test(line)) block = [];
    else if (block !== null && /^```\s*$/.test(line)) {
      blocks.push(block.join("\n"));
      block = null;
    } else if (block !== null) block.push(line);
  }
  return blocks;
}

/** The commands of a shell block: continuation lines joined, comments and blank lines dropped. */
export function commandsOf(block: string): string[] {
  const joined = block.replace(/\s*\\\n\s*/g, " ");
  return joined
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter((l) => l !== "");
}

/** Words of a README command (they hold no quotes or escapes; checked). */
function words(command: string): string[] {
  if (/["'`$\\]/.test(command)) throw new Error(`README command with shell quoting, which this test does not parse: ${command}`);
  return command.split(/\s+/);
}

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

/** The committed README (what a clone of HEAD holds), or why there is none. */
function committedReadme(): { text: string; head: string } | { reason: string } {
  const head = spawnSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return { reason: `${REPO_ROOT} is not a git checkout (${head.stderr.trim()})` };
  const text = spawnSync("git", ["-C", REPO_ROOT, "show", "HEAD:README.md"], { encoding: "utf8" });
  if (text.status !== 0) return { reason: `no README.md at HEAD: ${text.stderr.trim()}` };
  return { text: text.stdout, head: head.stdout.trim() };
}

const committed = committedReadme();
const readme = "text" in committed ? committed.text : "";
const setupCommand = readme ? commandsOf(shellBlocks(readme, "Set-up")[0] ?? "")[0] : "";
const cliCommands = readme ? shellBlocks(readme, "The `cellfolio` command").flatMap(commandsOf) : [];

/** A user's shell: no npm / vitest variables of the run around us, no other checkout's bins on PATH. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$|TURBO_)/i.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => !d.includes(`node_modules${path.sep}.bin`))
    .join(path.delimiter);
  return {
    ...env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    TURBO_TELEMETRY_DISABLED: "1",
    ...extra,
  };
}

const root = mkdtempSync(path.join(tmpdir(), "cellfolio-readme-"));
const clone = path.join(root, "cellfolio");
/** npm ci: the local cache first, the registry for what it lacks. */
const INSTALL_ENV = userEnv({ npm_config_prefer_offline: "true" });
/** npx and the commands: offline, so nothing can come from the registry. */
const RUN_ENV = userEnv({ npm_config_offline: "true" });

function sh(command: string, env = RUN_ENV) {
  const res = spawnSync("bash", ["-c", command], { cwd: clone, env, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, all: `${res.stdout}\n${res.stderr}` };
}

/** What the bundled sample's README says about it: cells in the mask, and cells inside at each crop size. */
function sampleFacts(): { cells: number; insideAt: Map<number, number> } {
  const text = readFileSync(path.join(clone, "test-data/sample/README.md"), "utf8").replace(/\s+/g, " ");
  const cells = Number(/\*\*(\d+) segmented cells\*\*/.exec(text)?.[1]);
  const insideAt = new Map<number, number>();
  const m = /(\d+) of which lie far enough from the border for (\d+)-pixel crops \(([^)]*)\)/.exec(text);
  if (m) {
    insideAt.set(Number(m[2]), Number(m[1]));
    for (const [, n, s] of m[3].matchAll(/(\d+) at (\d+) px/g)) insideAt.set(Number(s), Number(n));
  }
  return { cells, insideAt };
}

/** Datasets the README's commands wrote, with the number of cells they should hold. */
const written: { file: string; cells: number }[] = [];
let extracted: number | undefined;

describe.skipIf(!("text" in committed))(`the README on a fresh clone${"reason" in committed ? ` (not run: ${committed.reason})` : ""}`, () => {
  let setup: ReturnType<typeof sh>;

  beforeAll(() => {
    if (!("head" in committed)) return;
    const c = spawnSync("git", ["clone", "--quiet", REPO_ROOT, clone], { encoding: "utf8" });
    expect(c.status, c.stderr).toBe(0);
    const co = spawnSync("git", ["-C", clone, "checkout", "--quiet", "--detach", committed.head], { encoding: "utf8" });
    expect(co.status, co.stderr).toBe(0);
    setup = sh(setupCommand, INSTALL_ENV);
  }, 900_000);

  afterAll(() => {
    if (!process.env.CELLFOLIO_KEEP_README_CLONE) rmSync(root, { recursive: true, force: true });
  });

  it("the clone holds the committed README and nothing lies beside it", () => {
    expect(readdirSync(root)).toEqual(["cellfolio"]);
    expect(readFileSync(path.join(clone, "README.md"), "utf8")).toBe(readme);
    expect(existsSync(path.join(root, "shared"))).toBe(false);
  });

  it("the Set-up block's first command installs, builds and extracts the sample", () => {
    expect(setupCommand).toMatch(/^npm ci\b/); // the README's set-up starts from a clean install
    expect(setup.code, setup.all.slice(-4000)).toBe(0);
    // npm ci linked the committed bin file, which now runs the build
    const bin = path.join(clone, "node_modules/.bin/cellfolio");
    expect(existsSync(bin)).toBe(true);
    expect(realpathSync(bin)).toBe(path.join(realpathSync(clone), "packages/cli/bin/cellfolio.js"));
    expect(existsSync(path.join(clone, "packages/cli/dist/bin.js"))).toBe(true);
    // `npm run sample` extracts the sample (the README: "to out/sample.h5sc")
    const out = /to (out\/\S+\.h5sc)/.exec(readme.split("## Set-up")[1] ?? "")?.[1];
    expect(out).toBe("out/sample.h5sc");
    const { cells, insideAt } = sampleFacts();
    const wrote = /wrote (\d+) cells to (\S+)/.exec(setup.stdout);
    expect(wrote?.[2]).toBe(out);
    expect(Number(wrote?.[1])).toBe(insideAt.get(48));
    expect(setup.stdout).toContain(`dropped at the border: ${cells - Number(wrote?.[1])} cells`);
    expect(existsSync(path.join(clone, out as string))).toBe(true);
  });

  it("npx cellfolio --version prints the CLI package's version", () => {
    const r = sh("npx cellfolio --version");
    expect(r.code, r.all).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(clone, "packages/cli/package.json"), "utf8"));
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("the README's CLI block has the commands this test knows how to check", () => {
    expect(cliCommands.length).toBeGreaterThan(0);
    for (const c of cliCommands) expect(c, "a README CLI example that does not start with `npx cellfolio`").toMatch(/^npx cellfolio /);
    const run = cliCommands.filter((c) => !NOT_RUN.some((r) => r.matches(c)));
    for (const sub of ["extract", "convert", "info", "validate", "export", "view", "reference", "lmd"]) {
      expect(
        run.some((c) => words(c)[2] === sub),
        `no runnable README example of ${sub}`,
      ).toBe(true);
    }
  });

  for (const command of cliCommands) {
    const rule = NOT_RUN.find((r) => r.matches(command));
    if (rule) {
      it.skip(`not run (${rule.rule}: ${rule.why}): ${command}`, () => {});
      continue;
    }
    it(command, async () => {
      const argv = words(command);
      const sub = argv[2];
      if (sub === "view") return checkView(command, argv);
      const r = sh(command);
      expect(r.code, r.all).toBe(0);
      const check = CHECKS[sub];
      if (!check) throw new Error(`no check for README command "${command}": add one to CHECKS`);
      check(argv, r.stdout);
    }, 300_000);
  }

  it("every dataset the README's commands wrote holds the same images (h5py, zarr-python 2 and 3)", () => {
    expect(extracted).toBeGreaterThan(0);
    expect(written.length).toBeGreaterThan(1);
    const digests = written.map(({ file }) => {
      const abs = path.join(clone, file);
      const v2 = existsSync(path.join(abs, ".zgroup"));
      if (file.endsWith(".zarr") && !v2) {
        if (!hasZarr3()) return { file, skipped: "no PyPI peer 'latest' for zarr-python 3" };
        return { file, ...pyZarr3(PY_IMAGES, { path: abs }) };
      }
      return { file, ...py(PY_IMAGES, { path: abs }) };
    });
    const first = digests[0] as { sha256: string; shape: number[] };
    expect(first.shape[0]).toBe(extracted);
    for (const d of digests) {
      if ("skipped" in d) continue;
      expect(d, d.file).toEqual({ file: d.file, sha256: first.sha256, shape: first.shape, n_obs: first.shape[0] });
    }
  });
});

/** h5py / zarr-python: obsm/single_cell_images as float16 bytes (sha256) and shape; n_obs from obs. */
const PY_IMAGES = `
import hashlib, json, os, sys
import numpy as np
inp = json.loads(sys.stdin.read())
p = inp["path"]
if p.endswith(".zarr"):
    import zarr
    g = zarr.open_group(p, mode="r")
    images = np.asarray(g["obsm/single_cell_images"][...])
    n_obs = g["obs/scportrait_cell_id"].shape[0]
else:
    import h5py
    with h5py.File(p, "r") as f:
        images = f["obsm/single_cell_images"][...]
        n_obs = f["obs/scportrait_cell_id"].shape[0]
assert images.dtype == np.float16, images.dtype
print(json.dumps({"sha256": hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest(), "shape": list(images.shape), "n_obs": int(n_obs)}))
`;

/** Checks of each subcommand's output and of the files it says it wrote. */
const CHECKS: Record<string, (argv: string[], stdout: string) => void> = {
  extract(argv, stdout) {
    const out = option(argv, "--out") as string;
    const m = /^wrote (\d+) cells to (\S+)/m.exec(stdout);
    expect(m?.[2], stdout).toBe(out);
    expect(existsSync(path.join(clone, out))).toBe(true);
    const n = Number(m?.[1]);
    const size = Number(option(argv, "--size") ?? 128);
    if (option(argv, "--nucleus") === "test-data/sample/nucleus.tif" && !argv.includes("--cell-ids")) {
      const { cells, insideAt } = sampleFacts();
      if (insideAt.has(size)) expect(n).toBe(insideAt.get(size));
      expect(stdout).toContain(`dropped at the border: ${cells - n} cells`);
    }
    extracted = n;
    written.push({ file: out, cells: n });
  },
  convert(argv, stdout) {
    const [from, to] = argv.slice(3).filter((a, k, all) => !a.startsWith("--") && !(k > 0 && all[k - 1] === "--zarr-format"));
    expect(stdout).toMatch(new RegExp(`^converted ${reEscape(from)} -> ${reEscape(to)}: `, "m"));
    expect(existsSync(path.join(clone, to))).toBe(true);
    const source = written.find((w) => w.file === from);
    expect(source, `${from} was not written by an earlier README command`).toBeDefined();
    const v = option(argv, "--zarr-format");
    if (to.endsWith(".zarr")) {
      const v2 = existsSync(path.join(clone, to, ".zgroup"));
      expect(v2 ? "2" : "3").toBe(v ?? "3");
    }
    written.push({ file: to, cells: source?.cells as number });
  },
  info(argv, stdout) {
    const file = argv[3];
    const w = written.find((x) => x.file === file);
    expect(w, `${file} was not written by an earlier README command`).toBeDefined();
    expect(stdout.split("\n")[0]).toBe(file);
    expect(stdout).toMatch(new RegExp(`^\\s+n_obs\\s+${w?.cells}$`, "m"));
    expect(stdout).toMatch(new RegExp(`^\\s+cells\\s+${w?.cells}$`, "m"));
    const v2 = existsSync(path.join(clone, file, ".zgroup"));
    expect(stdout).toMatch(new RegExp(`^\\s+backend\\s+${file.endsWith(".zarr") ? `Zarr v${v2 ? 2 : 3}` : "HDF5"}$`, "m"));
    expect(stdout).toContain("/obsm/single_cell_images");
  },
  validate(argv, stdout) {
    // our own output is scPortrait's current layout, named in a note; no other line
    expect(stdout).toMatch(/^note: \/obsm\/single_cell_images: layout: scPortrait >= 1\.3\.3 \(scportrait_cell_id uint64, pipeline\)\n/);
    expect(stdout.split("\n").slice(1).join("\n")).toBe(`${argv[3]}: valid\n`);
  },
  reference(argv, stdout) {
    const [from, to] = argv.slice(3);
    expect(stdout).toMatch(new RegExp(`^wrote ${reEscape(to)}: \\d+ arrays in \\d+ groups, \\d+ chunks by reference to `, "m"));
    const refs = JSON.parse(readFileSync(path.join(clone, to), "utf8"));
    expect(refs.version).toBe(1);
    // the images' chunks point at the .h5sc beside it (through the template u)
    expect(refs.templates.u).toBe(path.basename(from));
    const chunk = refs.refs["obsm/single_cell_images/0.0.0.0"];
    expect(chunk[0]).toBe("{{u}}");
    expect(chunk[2]).toBeGreaterThan(0);
  },
  lmd(argv, stdout) {
    const xml = readFileSync(path.join(clone, option(argv, "--out") as string), "utf8");
    expect(xml).toMatch(/^<\?xml[^>]*>\n<ImageData>/);
    const wells = argv.filter((_, k) => argv[k - 1] === "--set").map((s) => s.split("=")[0]);
    const caps = new Set([...xml.matchAll(/<CapID>([^<]*)<\/CapID>/g)].map((m) => m[1]));
    expect([...caps].sort()).toEqual(wells.sort());
    const png = readFileSync(path.join(clone, option(argv, "--png") as string));
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(stdout.length).toBeGreaterThan(0);
  },
  export(argv, stdout) {
    const dir = option(argv, "--out") as string;
    const m = /^exported (\d+) cells x (\d+) channels \(([^)]*)\) to (\S+)$/m.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const [, n, c, names, to] = m as RegExpExecArray;
    expect(to).toBe(dir);
    const channels = names.split(", ");
    expect(channels.length).toBe(Number(c));
    const wanted = option(argv, "--channels");
    if (wanted) expect(channels).toEqual(wanted.split(","));
    const files = readdirSync(path.join(clone, dir));
    const sheet = readFileSync(path.join(clone, dir, "contact_sheet.png"));
    expect([...sheet.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ids = option(argv, "--cell-id") ?? option(argv, "--cell-ids");
    if (ids) {
      expect(Number(n)).toBe(ids.split(",").length);
      for (const id of ids.split(",")) for (const ch of channels) expect(files).toContain(`cell_${id}_${ch}.png`);
    }
    const rows = option(argv, "--rows");
    if (rows) {
      const [a, b] = rows.split(":").map(Number);
      expect(Number(n)).toBe(b - a);
    }
    for (const ch of channels) expect(files.filter((f) => new RegExp(`^cell_\\d+_${reEscape(ch)}\\.png$`).test(f)).length).toBeGreaterThanOrEqual(Number(n));
  },
};

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** view serves until stopped: start it as written, open the URL it prints and the dataset's metadata through it, stop it. */
async function checkView(command: string, argv: string[]): Promise<void> {
  const file = argv[3];
  const w = written.find((x) => x.file === file);
  expect(w, `${file} was not written by an earlier README command`).toBeDefined();
  const child: ChildProcess = spawn("bash", ["-c", command], { cwd: clone, env: RUN_ENV, detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b) => {
    stdout += b;
  });
  child.stderr?.on("data", (b) => {
    stderr += b;
  });
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  try {
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline && child.exitCode === null) {
      url = /^open (http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(stdout)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, `no URL printed by ${command}: ${stdout}\n${stderr}`).toBeDefined();
    const page = await fetch(url as string);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<script/);
    const data = new URL(new URL(url as string).searchParams.get("url") as string, url);
    if (file.endsWith(".zarr")) {
      // the store's consolidated metadata, as the page's first request reads it
      const v2 = existsSync(path.join(clone, file, ".zgroup"));
      const meta = await fetch(`${data}/${v2 ? ".zmetadata" : "zarr.json"}`);
      expect(meta.status).toBe(200);
      const json = (await meta.json()) as any;
      const images = v2 ? json.metadata["obsm/single_cell_images/.zarray"] : json.consolidated_metadata.metadata["obsm/single_cell_images"];
      expect(images.shape[0]).toBe(w?.cells);
    } else {
      // HDF5 is read by range requests: the superblock signature
      const head = await fetch(data, { headers: { Range: "bytes=0-7" } });
      expect(head.status).toBe(206);
      expect([...new Uint8Array(await head.arrayBuffer())]).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    // stopped as Ctrl-C would: every process of the command ends and the port is closed
    process.kill(-(child.pid as number), "SIGINT");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    const deadline2 = Date.now() + 20_000;
    while (groupAlive(child.pid as number) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(child.pid as number), `${command} still running after SIGINT`).toBe(false);
    await expect(fetch(url as string)).rejects.toThrow();
  } finally {
    if (child.pid && groupAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
