// extract and convert run in a second node process with the memory settings of
// src/tuned-node.ts. Seen from outside, as a user's shell sees it: the real
// binary, its process tree and the tuned process's command line and
// environment read from /proc (Linux), exit codes and signals passing through.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, TEST_DATA } from "../../../test-utils/oracle.js";
import { nodeTuning } from "../src/tuned-node.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-tuned-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const extractArgs = (out: string) => [
  "extract",
  "--image", path.join(SAMPLE, "image.tif"),
  "--nucleus", path.join(SAMPLE, "nucleus.tif"),
  "--cytosol", path.join(SAMPLE, "cytosol.tif"),
  "--size", "64", "--out", out, "--overwrite", "--quiet",
];

interface Seen {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The node processes the command started, each once, as /proc showed them while they ran. */
  children: { pid: number; argv: string[]; env: Map<string, string> }[];
}

const readArgs = (file: string) => readFileSync(file, "utf8").split("\0").filter((s) => s !== "");

/** Runs the CLI, watching its child processes every few ms; `onChild` is called once for the first one seen. */
function watch(nodeArgs: string[], args: string[], env: NodeJS.ProcessEnv = process.env, onChild?: (pid: number) => void): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    const seen = new Map<number, Seen["children"][number]>();
    let stderr = "";
    proc.stderr?.on("data", (d) => {
      stderr += d;
    });
    const look = () => {
      try {
        const pids = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
        for (const pid of pids) {
          if (seen.has(pid)) continue;
          const env = new Map(readArgs(`/proc/${pid}/environ`).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
          // forked but not yet started, it shows the command's own environment, without the mark
          if (env.get("CELLFOLIO_TUNED_NODE") !== `parent:${proc.pid}`) continue;
          const argv = readArgs(`/proc/${pid}/cmdline`);
          seen.set(pid, { pid, argv, env });
          if (seen.size === 1) onChild?.(pid);
        }
      } catch {} // the process or its child ended between two reads
    };
    const timer = setInterval(look, 2);
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, children: [...seen.values()] });
    });
  });
}

describe("nodeTuning", () => {
  it("adds the semispace flag and the mmap threshold, leaving what the user set", () => {
    expect(nodeTuning({})).toEqual({ execArgv: ["--max-semi-space-size=4"], env: { MALLOC_MMAP_THRESHOLD_: "4194304" } });
    expect(nodeTuning({ NODE_OPTIONS: "--enable-source-maps --max-semi-space-size=8", MALLOC_MMAP_THRESHOLD_: "65536" })).toEqual({ execArgv: [], env: {} });
    expect(nodeTuning({ NODE_OPTIONS: "--max-old-space-size=4096" }).execArgv).toEqual(["--max-semi-space-size=4"]);
  });
});

describe.runIf(process.platform === "linux")("extract and convert in a tuned node", () => {
  it("extract runs in one child node with the flag and the variable; its output and exit code are the command's", async () => {
    const out = path.join(dir, "tuned.h5sc");
    const r = await watch([], extractArgs(out), { ...process.env, MALLOC_MMAP_THRESHOLD_: undefined, NODE_OPTIONS: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.children).toHaveLength(1);
    const [child] = r.children;
    expect(child.argv.slice(1)).toEqual(["--max-semi-space-size=4", BIN, ...extractArgs(out)]);
    expect(child.env.get("MALLOC_MMAP_THRESHOLD_")).toBe("4194304");
  });

  it("keeps a threshold and a semispace size the user set, and runs here when both are", async () => {
    const threshold = await watch([], extractArgs(path.join(dir, "threshold.h5sc")), { ...process.env, MALLOC_MMAP_THRESHOLD_: "1048576", NODE_OPTIONS: undefined });
    expect(threshold.code, threshold.stderr).toBe(0);
    expect(threshold.children).toHaveLength(1);
    expect(threshold.children[0].argv.slice(1, 3)).toEqual(["--max-semi-space-size=4", BIN]);
    expect(threshold.children[0].env.get("MALLOC_MMAP_THRESHOLD_")).toBe("1048576");
    const semi = await watch([], extractArgs(path.join(dir, "semi.h5sc")), { ...process.env, MALLOC_MMAP_THRESHOLD_: undefined, NODE_OPTIONS: "--max-semi-space-size=8" });
    expect(semi.code, semi.stderr).toBe(0);
    expect(semi.children).toHaveLength(1);
    expect(semi.children[0].argv.slice(1, 2)).toEqual([BIN]);
    expect(semi.children[0].env.get("NODE_OPTIONS")).toBe("--max-semi-space-size=8");
    expect(semi.children[0].env.get("MALLOC_MMAP_THRESHOLD_")).toBe("4194304");
    const both = await watch([], extractArgs(path.join(dir, "both.h5sc")), { ...process.env, MALLOC_MMAP_THRESHOLD_: "1048576", NODE_OPTIONS: "--max-semi-space-size=8" });
    expect(both.code, both.stderr).toBe(0);
    expect(both.children).toEqual([]);
  });

  it("node started with flags of the user's or a debugger, help and other commands run in the process itself", async () => {
    const flagged = await watch(["--max-semi-space-size=8"], extractArgs(path.join(dir, "flagged.h5sc")));
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.children).toEqual([]);
    const inspected = await watch([], extractArgs(path.join(dir, "inspected.h5sc")), { ...process.env, NODE_OPTIONS: "--inspect=127.0.0.1:0" });
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stderr).toContain("Debugger listening on ws://127.0.0.1:");
    expect(inspected.children).toEqual([]);
    const help = await watch([], ["extract", "--help"]);
    expect(help.code).toBe(0);
    expect(help.children).toEqual([]);
    const info = await watch([], ["info", path.join(dir, "tuned.h5sc")]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.children).toEqual([]);
  });

  it("an error is said once, with the command's exit code", async () => {
    const missing = path.join(dir, "absent.tif");
    const r = await watch([], ["extract", "--image", missing, "--nucleus", missing, "--out", path.join(dir, "x.h5sc")]);
    expect(r.children).toHaveLength(1);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/^cellfolio extract: .*no such file/gm), r.stderr).toHaveLength(1);
    const usage = await watch([], ["convert"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.match(/^cellfolio convert:/gm), usage.stderr).toHaveLength(1);
  });

  it("a tuned process killed by a signal ends the command by the same signal, leaving no temporary output", async () => {
    const out = path.join(dir, "killed.h5sc");
    const r = await watch([], extractArgs(out).filter((a) => a !== "--quiet"), process.env, (pid) => process.kill(pid, "SIGKILL"));
    expect(r.children).toHaveLength(1);
    expect(r.signal).toBe("SIGKILL");
    expect(r.code).toBeNull();
    expect(existsSync(out)).toBe(false);
  });

  it("killed itself (kill -9), the command takes its tuned process with it: nothing goes on writing", async () => {
    const out = path.join(dir, "orphan.h5sc");
    let parent = 0;
    let tuned = 0;
    const r = await watch([], extractArgs(out).filter((a) => a !== "--quiet"), process.env, (pid) => {
      tuned = pid;
      parent = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      process.kill(parent, "SIGKILL");
    });
    expect(r.signal).toBe("SIGKILL");
    expect(tuned).toBeGreaterThan(0);
    const gone = Date.now() + 5000;
    while (existsSync(`/proc/${tuned}`) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(`/proc/${tuned}`)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
