// Where a worker thread's module is: beside the built code in dist/node/.
// Code running from the TypeScript sources (the tests) starts the same built
// workers, so the tests exercise them rather than falling back to one thread
// (the test command builds first).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The file of worker `name` (a tsup entry `src/node/<name>.ts`) for the
 * package whose module `metaUrl` is: dist/node/<name>.js. Throws, naming the
 * file and the fix, when it is not there.
 */
export function workerFile(name: string, metaUrl: string): string {
  const here = fileURLToPath(metaUrl);
  const fromSources = here.endsWith(".ts");
  // built: every module of dist/ sits at its root (tsup chunks); sources: src/node/<module>.ts
  const file = fromSources ? path.resolve(path.dirname(here), "../../dist/node", `${name}.js`) : path.resolve(path.dirname(here), "node", `${name}.js`);
  if (!existsSync(file)) throw new Error(`worker module ${file} is missing: run "npm run build" (it is built from src/node/${name}.ts)`);
  return file;
}
