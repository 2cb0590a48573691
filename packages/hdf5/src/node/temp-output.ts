// The one rule for outputs written under a temporary name beside their
// target and renamed onto it when complete (the HDF5 file sink, the Zarr
// directory sink): the temporary name records the writer's process id and
// host, `<target>.tmp-<pid>.<random>.<host>`, so a later run into the same
// folder can tell the leftovers of a killed run (its process is gone) from
// an output another process is still writing, and remove them. Data and
// directory entries are fsynced before the rename and the rename is fsynced,
// so "done" means on disk.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type FileHandle, open, readdir, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

/** This host as it appears in temporary names (letters, digits, '-' and '_'). */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "_").slice(0, 32) || "host";

const TEMP_NAME = /\.tmp-(\d+)\.[0-9a-f]{8}\.([A-Za-z0-9_-]{1,32})$/;

/** The temporary name to write `target` under, in the same folder (so the final rename is atomic). */
export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}.${randomBytes(4).toString("hex")}.${HOST}`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    return e?.code === "EPERM"; // exists, owned by another user
  }
  return !zombie(pid);
}

/**
 * A process that has ended but not been reaped (Linux: state Z in
 * /proc/<pid>/stat) writes no more: an orphan waits there until init reaps
 * it, which some inits do late. False where /proc does not say.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] === "Z"; // the state comes after the command name, in parentheses
  } catch {
    return false;
  }
}

/**
 * Removes the temporary outputs in `dir` whose writer was a process of this
 * host that no longer runs (killed before it could clean up); returns their
 * paths. Those of live processes, and of other hosts (a shared folder on a
 * cluster), are left alone. Best effort: a folder that cannot be read is skipped.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || m[2] !== HOST || alive(Number(m[1]))) continue;
    const p = path.join(dir, name);
    try {
      await rm(p, { recursive: true, force: true });
      removed.push(p);
    } catch {}
  }
  return removed;
}

/** Flushes a directory's entries (new files, renames) to disk. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (e: any) {
    // Some file systems cannot fsync a directory; the data itself was synced.
    if (e?.code !== "EISDIR" && e?.code !== "EINVAL" && e?.code !== "EPERM") throw e;
  } finally {
    await fh?.close();
  }
}

/** Renames the finished temporary output onto its target and makes the rename durable. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDir(path.dirname(to));
}

/**
 * Why `overwrite` may not replace what is at `target` (null: nothing is there,
 * or an output of the kind being written). Overwrite replaces an output, never
 * something else under its name: a folder of the user's files named like a
 * Zarr store, a folder or a text file named like an HDF5 file. `output` says
 * what may go: its form, the test, its name ("an HDF5 file") and what the
 * test found missing ("not an HDF5 file (no HDF5 signature)"). Writers ask at
 * create, before any work, and again before the rename.
 */
export async function notReplaceable(
  target: string,
  output: { form: "file" | "folder"; is: (target: string) => Promise<boolean>; name: string; isNot: string },
): Promise<string | null> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(target)).isDirectory();
  } catch {
    return null;
  }
  const fix = `overwrite replaces only ${output.name}: remove it yourself if it may go, or choose another path`;
  if (isFolder !== (output.form === "folder")) return `is a ${isFolder ? "folder" : "file"}, not ${output.name}; ${fix}`;
  return (await output.is(target)) ? null : `is ${output.isNot}; ${fix}`;
}

/**
 * Syncs a file being written in the background, one sync at a time, each
 * time `every` more bytes were written: the disk takes the data while the
 * writer goes on, so the sync before the rename has little left to wait for.
 * A failed sync is kept (`failure`) for the writer to throw: after a failed
 * writeback a later fsync may report success.
 */
export class BackgroundSync {
  private unsynced = 0;
  private syncing: Promise<void> | null = null;
  failure: unknown = null;

  constructor(
    private readonly fh: FileHandle,
    private readonly every: number,
  ) {}

  /** Counts `bytes` written; starts a sync once `every` were written since the last one started. */
  written(bytes: number): void {
    this.unsynced += bytes;
    if (this.unsynced < this.every || this.syncing) return;
    this.unsynced = 0;
    this.syncing = this.fh.datasync().then(
      () => {
        this.syncing = null;
      },
      (e) => {
        this.failure ??= e;
        this.syncing = null;
      },
    );
  }

  /** Resolves once no sync is under way (a failure is in `failure`, not thrown). */
  async idle(): Promise<void> {
    await this.syncing;
  }
}
