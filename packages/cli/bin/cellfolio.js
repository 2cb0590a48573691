#!/usr/bin/env node
// The `cellfolio` command as npm links it. This file is committed (not built)
// so that `npm ci` finds it and links node_modules/.bin/cellfolio even before
// the first build; it runs the built command in ../dist/bin.js, or says how to
// build it. Without the link, `npx cellfolio` would fetch whatever package of
// that name the npm registry holds.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write(
    `cellfolio: the command is not built yet (${fileURLToPath(built)} is missing): run npm run build first, from the repository root\n`,
  );
  process.exit(1);
}
await import(built.href);
