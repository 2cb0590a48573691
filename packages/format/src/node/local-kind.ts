// What a local path holds, for openStore's dispatch (Node).
import { stat } from "node:fs/promises";
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
