#!/usr/bin/env node
import { runTuned } from "./tuned-node.js";

// extract and convert run in a tuned node (tuned-node.ts); main is loaded
// only where the command runs. No top-level await: no module of this package
// has one, so that require() can load them.
const argv = process.argv.slice(2);
runTuned(argv)
  .then(async (code) => code ?? (await import("./main.js")).main(argv))
  .then((code) => {
    process.exitCode = code;
  });
