// The Python tools that judge our output: Debian 12's anndata 0.8 / h5py 3.7 /
// zarr-python 2 / scipy / skimage for the old versions, and the PyPI venvs that
// .ci/setup-peers.sh installs for the versions people run today. Tests pass data in and
// out as JSON on stdin/stdout; scripts print one JSON document.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export const PYTHON12 = "/usr/bin/python3";

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

/** Whether the "latest" peer (zarr-python 3, h5py 3.16) is installed. */
export function hasZarr3(): boolean {
  return hasPeer("latest");
}

/**
 * Run a script with the "latest" peer's python (zarr-python 3.4, numcodecs 0.17,
 * h5py 3.16, anndata 0.13), as `py` does. Throws when the peer is missing.
 */
export function pyZarr3(code: string, input?: unknown): any {
  return pyPeer("latest", code, input);
}

/**
 * The PyPI peers: venvs that .ci/setup-peers.sh (run by setup-system.sh)
 * installs from the pins in .ci/peers/<name>.txt under $CELLFOLIO_PEERS
 * (default /opt/cellfolio-peers):
 * - "latest": anndata 0.13 (read_lazy), zarr-python 3.4, h5py 3.16, pandas 3, annbatch;
 * - "scportrait": scPortrait 1.7.0's h5sc functions (import them through
 *   `SCPORTRAIT_PREAMBLE`) with anndata 0.11, h5py 3.14 and Debian's torch.
 * A missing peer fails its tests, saying to run the setup; with
 * CELLFOLIO_SKIP_PEERS=1 they are skipped instead (`skipPeer`).
 */
export const PEERS_ROOT = process.env.CELLFOLIO_PEERS ?? "/opt/cellfolio-peers";
export type PeerName = "latest" | "scportrait";
export const PEER_UTILS = path.join(REPO_ROOT, "test-utils/peers");

function peerPython(name: PeerName): string {
  return path.join(PEERS_ROOT, name, "bin/python");
}

/** Whether a peer venv was installed to the end (setup-peers.sh writes .cellfolio-pins last). */
export function hasPeer(name: PeerName): boolean {
  return existsSync(peerPython(name)) && existsSync(path.join(PEERS_ROOT, name, ".cellfolio-pins"));
}

/** True when a peer's tests are to be skipped: it is missing and CELLFOLIO_SKIP_PEERS=1. */
export function skipPeer(name: PeerName): boolean {
  return process.env.CELLFOLIO_SKIP_PEERS === "1" && !hasPeer(name);
}

/** Run a script with a peer's python, as `py` does; throws (the test fails) when the peer is missing. */
export function pyPeer(name: PeerName, code: string, input?: unknown): any {
  if (!hasPeer(name)) {
    throw new Error(
      `the Python peer "${name}" is not installed in ${path.join(PEERS_ROOT, name)}: run .ci/setup-system.sh ` +
        "(or .ci/setup-peers.sh; CI installs them), or set CELLFOLIO_SKIP_PEERS=1 to skip these tests",
    );
  }
  return run(peerPython(name), [], code, input, `python (peer ${name})`);
}

/** Python preamble for the "scportrait" peer: read_h5sc, numpy_to_h5sc, write_h5sc, H5ScSingleCellDataset. */
export const SCPORTRAIT_PREAMBLE = `import sys\nsys.path.insert(0, ${JSON.stringify(PEER_UTILS)})\nfrom scportrait_h5sc import read_h5sc, numpy_to_h5sc, write_h5sc, H5ScSingleCellDataset\n`;
