// What a local path holds, for openStore's dispatch (Node).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { FileSource } from "@cellfolio/hdf5/node";
import { FormatError } from "../errors.js";
import type { LocalKind } from "../platform.js";
import { sniffBytes } from "../store.js";

export async function localKind(path: string): Promise<LocalKind> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FormatError(path, "", code === "ENOENT" ? "no such file or directory" : `cannot be read (${code ?? err})`, { cause: err });
  }
  if (st.isDirectory()) return "directory";
  let src: FileSource | undefined;
  try {
    src = await FileSource.open(path);
    return await sniffBytes(src);
  } catch (err) {
    throw new FormatError(path, "", `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message ?? err})`, { cause: err });
  } finally {
    await src?.close();
  }
}

/** Bytes of a local file, or of every file under a local directory. */
export async function storedBytes(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? (e as { path: string }).path, e.name))).size;
  }
  return total;
}
