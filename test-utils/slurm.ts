// A real Slurm on this machine for the cluster-extraction tests: slurmctld and
// slurmd on 127.0.0.1 with munge, started by .ci/slurm-setup.sh (installs
// Debian's slurm-wlm + munge when missing) and stopped by stopSlurm().
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./oracle.js";

export const SLURM_SETUP = path.join(REPO_ROOT, ".ci/slurm-setup.sh");

/** Why Slurm is not to be used (CELLFOLIO_NO_SLURM=1), or null. */
export function slurmDisabled(): string | null {
  return process.env.CELLFOLIO_NO_SLURM === "1" ? "CELLFOLIO_NO_SLURM=1: the real-Slurm test is skipped on request" : null;
}

/** Starts munge, slurmctld and slurmd; throws with the set-up's output if the node does not come up. */
export function startSlurm(): void {
  const r = spawnSync("bash", [SLURM_SETUP], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`could not start Slurm (${SLURM_SETUP} exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** Stops the daemons started by startSlurm (by the pids in their pid files). */
export function stopSlurm(): void {
  spawnSync("bash", [SLURM_SETUP, "stop"], { encoding: "utf8", timeout: 30_000 });
}

/** The state of a job ("PENDING", "RUNNING", "COMPLETED", "FAILED", ...), from scontrol; null once forgotten. */
export function jobStates(id: string): string[] {
  const r = spawnSync("scontrol", ["show", "job", "-o", id], { encoding: "utf8" });
  if (r.status !== 0) return [];
  return [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
}

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"]);

/** Waits until every task of job `id` is in a final state; returns the states. Throws after `timeoutMs`. */
export async function waitForJob(id: string, timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const states = jobStates(id);
    if (states.length > 0 && states.every((s) => FINAL.has(s))) return states;
    if (Date.now() > end) throw new Error(`Slurm job ${id} not finished after ${timeoutMs / 1000} s (states ${states.join(", ") || "unknown"})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
