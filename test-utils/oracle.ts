// The Python tools that judge our output: Debian 12's anndata 0.8 / h5py 3.7 /
// zarr-python 2 / scipy / skimage on this machine, and zarr-python 3 / h5py 3.13
// in the Debian 13 root that .ci/setup-system.sh builds. Tests pass data in and
// out as JSON on stdin/stdout; scripts print one JSON document.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

export const PYTHON12 = "/usr/bin/python3";
export const DEBIAN13_ROOT = process.env.CELLFOLIO_DEBIAN13_ROOT ?? "/opt/cellfolio-trixie";

/** Repository root and its test data (test-data/README.md says where each file came from). */
export const REPO_ROOT = path.resolve(import.meta.dirname, "..");
export const TEST_DATA = path.join(REPO_ROOT, "test-data");

function run(cmd: string, args: string[], code: string, input: unknown, what: string): any {
  const res = spawnSync(cmd, [...args, "-c", code], {
    input: JSON.stringify(input ?? null),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (res.status !== 0) {
    throw new Error(`${what} failed (exit ${res.status}):\n${res.stderr}\n${res.stdout}`);
  }
  const out = res.stdout.trim();
  const last = out.lastIndexOf("\n");
  return JSON.parse(last >= 0 ? out.slice(last + 1) : out);
}

/**
 * Run a script with Debian 12's python3 (anndata 0.8, h5py 3.7, zarr 2, scipy, skimage).
 * `json.loads(sys.stdin.read())` gives `input`; the script's last stdout line must be JSON.
 */
export function py(code: string, input?: unknown): any {
  return run(PYTHON12, [], code, input, "python3 (Debian 12)");
}

/** Whether the Debian 13 root (zarr-python 3, h5py 3.13) is there. */
export function hasDebian13(): boolean {
  return existsSync(path.join(DEBIAN13_ROOT, "host", "usr")) && existsSync(path.join(DEBIAN13_ROOT, "usr/bin/python3"));
}

/**
 * A host path as the Debian 13 root sees it (the host's / is bound at /host).
 * Symlinks are resolved on the host first: an absolute link target would
 * otherwise point inside the root.
 */
export function hostPath(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  while (!existsSync(head) && path.dirname(head) !== head) {
    tail.unshift(path.basename(head));
    head = path.dirname(head);
  }
  return path.join("/host", realpathSync(head), ...tail);
}

/**
 * Run a script with Debian 13's python3 (zarr-python 3.0.6, numcodecs 0.16, h5py 3.13).
 * Paths given to it must go through `hostPath`.
 */
export function py13(code: string, input?: unknown): any {
  return run("chroot", [DEBIAN13_ROOT, "/usr/bin/python3"], code, input, "python3 (Debian 13 root)");
}
