// `cellfolio extract` and `convert` run in a second node process, started with
// two memory settings, so that their peak memory is the same for 5,000 cells
// as for 50,000: what a long run adds is not live data but what V8 and the C
// allocator keep once it has run a while.
// - V8 doubles the young generation of a thread whose objects keep surviving
//   collections, up to two 16 MB semispaces: a run of more than a few seconds
//   gets there, a short one does not (+20-26 MB at 50,000 cells).
//   --max-semi-space-size=4 holds it at 4 MB, at no measured cost in speed.
// - glibc's malloc raises its mmap threshold to the size of each large block
//   freed (up to 32 MB): after the first tiles and bands are freed, every
//   buffer below that size comes from the heap, and the heap keeps what it
//   has held. MALLOC_MMAP_THRESHOLD_ fixed at 4 MiB keeps the decoded tiles
//   (0.5-1 MB, the buffers that come and go all run) in the heap and gives the
//   larger ones back at once. Other C libraries ignore the variable.
// Measured on bench/extract-tiled.mjs's 5,000 and 50,000-cell slides (same
// width), peak RSS of the extraction, 3 runs each: 313-328 / 341-345 MB
// untuned, 311-316 / 307-313 tuned, the same time; the waiting parent adds
// ~7 MB of its own (its other pages are the node binary's, shared).
// The settings exist only at a process's start, hence the second process; a
// user who starts node with flags of their own is left to them.
import { spawn } from "node:child_process";

/** Commands whose memory a long run grows, when not tuned. */
const LONG_COMMANDS = new Set(["extract", "convert"]);

/** Set in the tuned process's environment (`parent:<pid>`): it runs the command itself. */
const TUNED_MARK = "CELLFOLIO_TUNED_NODE";

/** What a tuned node is started with: flags before the script, variables added to the environment. */
export interface NodeTuning {
  execArgv: string[];
  env: Record<string, string>;
}

/** The tuning to add to a node started with `env`, leaving what the user set there. */
export function nodeTuning(env: NodeJS.ProcessEnv = process.env): NodeTuning {
  const userSemi = /(^|\s)--max-semi-space-size\b/.test(env.NODE_OPTIONS ?? "");
  return {
    execArgv: userSemi ? [] : ["--max-semi-space-size=4"],
    env: env.MALLOC_MMAP_THRESHOLD_ === undefined ? { MALLOC_MMAP_THRESHOLD_: String(4 << 20) } : {},
  };
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * In the tuned process (`parent` the pid of the command that started it): a
 * parent that ends without passing a signal on (kill -9, the OOM killer)
 * closes the channel, and this process ends as it did, by SIGKILL, leaving
 * its temporary output to the next run's clean-up as a killed run's; it would
 * otherwise go on writing, orphaned. A parent gone before this process got
 * here left it no channel, or another parent.
 */
function endWithParent(parent: number): void {
  const end = () => process.kill(process.pid, "SIGKILL");
  if (!process.channel || !process.connected || process.ppid !== parent) end();
  process.on("disconnect", end);
  process.channel?.unref(); // the channel does not keep the command running
}

/**
 * Runs `argv` (the command line after the script) in a tuned node and
 * resolves with its exit code; null when it runs here instead (another
 * command, help, already tuned, node started with flags or with --inspect in
 * NODE_OPTIONS, nothing to add, or the second process could not start).
 * Signals sent to this process go on to the tuned one, which cleans up its
 * temporary output (interrupt.ts); a signal that ends it ends this process
 * the same way, so a shell sees what it would see.
 */
export function runTuned(argv: string[]): Promise<number | null> {
  const mark = /^parent:(\d+)$/.exec(process.env[TUNED_MARK] ?? "");
  if (mark) {
    delete process.env[TUNED_MARK]; // not passed on to what this process starts
    endWithParent(Number(mark[1]));
    return Promise.resolve(null);
  }
  const script = process.argv[1];
  const wanted = LONG_COMMANDS.has(argv[0]) && !argv.includes("--help") && !argv.includes("-h");
  // a debugger attached through NODE_OPTIONS would be asked for again by the second process, on the same port
  const debugging = /(^|\s)--inspect/.test(process.env.NODE_OPTIONS ?? "");
  if (!wanted || !script || process.execArgv.length > 0 || debugging) return Promise.resolve(null);
  const tuning = nodeTuning();
  if (tuning.execArgv.length === 0 && Object.keys(tuning.env).length === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...tuning.execArgv, script, ...argv], {
      stdio: ["inherit", "inherit", "inherit", "ipc"], // the channel only tells the child this process is gone
      env: { ...process.env, ...tuning.env, [TUNED_MARK]: `parent:${process.pid}` },
    });
    // Ctrl-C in a terminal reaches both processes; a signal sent to this one alone (kill, a scheduler) reaches the child through this.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    child.on("error", () => {
      done();
      resolve(null); // could not start: the command runs here, untuned
    });
    child.on("exit", (code, signal) => {
      done();
      if (signal) {
        process.kill(process.pid, signal);
        return; // ended by the same signal, as the child was
      }
      resolve(code ?? 1);
    });
  });
}
