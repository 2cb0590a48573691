// Leftover temporary outputs: removeStaleTemps removes those whose writer is
// gone - including one that has ended but is not reaped yet (a zombie, as an
// orphaned writer is until init reaps it) - and keeps those of live writers.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeStaleTemps, tempPathFor } from "../../src/node/temp-output.js";

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-temps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A temporary name as process `pid` of this host would have made it. */
const tempOf = (target: string, pid: number) => tempPathFor(target).replace(`.tmp-${process.pid}.`, `.tmp-${pid}.`);

describe.runIf(process.platform === "linux")("removeStaleTemps", () => {
  it("removes the temporary of a writer that has ended unreaped (zombie), keeps a live writer's", async () => {
    // sh starts a child and execs `sleep`, which never reaps it: the child stays a zombie while sleep lives.
    const sh = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = await new Promise<number>((resolve) => sh.stdout.once("data", (d) => resolve(Number(String(d).trim()))));
      const state = () => {
        const stat = readFileSync(`/proc/${zombie}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0];
      };
      const until = Date.now() + 5000;
      while (state() !== "Z" && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(state()).toBe("Z");
      const dead = tempOf(path.join(dir, "a.h5sc"), zombie);
      const live = tempOf(path.join(dir, "b.h5sc"), sh.pid as number);
      writeFileSync(dead, "left by a killed run");
      writeFileSync(live, "being written");
      expect(await removeStaleTemps(dir)).toEqual([dead]);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      sh.kill("SIGKILL");
    }
  });
});
