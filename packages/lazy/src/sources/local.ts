// Local paths: a clear error for a path that is not there, before a backend
// reports it in its own words.
import { stat } from "node:fs/promises";
import { DatasetError } from "../errors.js";

export async function checkLocal(path: string): Promise<"file" | "directory"> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? "directory" : "file";
  } catch (err) {
    throw new DatasetError(path, "", "no such file or directory", { cause: err });
  }
}
