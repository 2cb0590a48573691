import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { InputError, UsageError } from "./errors.js";

/** Creates the folder an output goes into, as a user giving `--out out/x.h5sc` expects. */
export async function ensureParentDir(output: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(output)), { recursive: true });
}

/** Output kinds by extension: what extract and convert write. */
export const OUTPUT_KINDS = "a path ending in .h5sc, .h5ad or .h5 (HDF5) or .zarr (Zarr)";

/** Whether an output path names a Zarr store (else HDF5, once checkOutput passed it). */
export function isZarrOutput(out: string): boolean {
  return /\.zarr\/?$/i.test(out);
}

/** `out` must name a kind we write, and be new unless --overwrite. `what` is how the message names it (`--out`, `OUT`). */
export function checkOutput(out: string, overwrite: boolean, what: string): void {
  if (!/\.(h5sc|h5ad|h5|hdf5|zarr)\/?$/i.test(out)) {
    const ext = path.extname(out.replace(/\/+$/, ""));
    throw new UsageError(`${what} ${out}: ${ext ? `unknown output kind "${ext}"` : "no extension, so no output kind"}; expected ${OUTPUT_KINDS}`);
  }
  if (existsSync(out) && !overwrite) throw new InputError(`${what} ${out}: already exists; pass --overwrite to replace it (it is replaced only once the new one is complete)`);
}

/** An output folder (export --out): not a file, and empty unless --overwrite. */
export function checkOutputDir(dir: string, overwrite: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError(`--out ${dir}: is a file; expected a folder (new, or empty, or with --overwrite)`);
  const n = readdirSync(dir).length;
  if (n > 0 && !overwrite) {
    throw new InputError(`--out ${dir}: the folder holds ${n} file${n === 1 ? "" : "s"} already; give a new or empty folder, or pass --overwrite to write into it (files of the same name are replaced)`);
  }
}
