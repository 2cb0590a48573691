import { mkdir } from "node:fs/promises";
import path from "node:path";

/** Creates the folder an output goes into, as a user giving `--out out/x.h5sc` expects. */
export async function ensureParentDir(output: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(output)), { recursive: true });
}
