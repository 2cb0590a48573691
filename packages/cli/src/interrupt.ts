// Ctrl-C (SIGINT) or SIGTERM during a command that writes an output: the
// writers put it under `<out>.tmp-<pid>.<random>.<host>` until it is complete, and a signal
// ends the process before their clean-up runs. This removes the temporary
// outputs this run made (those that were not there when it started) and
// exits with 130 / 143, as a shell reports a process ended by the signal.
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { EXIT } from "./errors.js";

function tempsOf(output: string): string[] {
  const abs = path.resolve(output);
  const dir = path.dirname(abs);
  const prefix = `${path.basename(abs)}.tmp-`;
  try {
    return readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Until the returned function is called, SIGINT / SIGTERM remove the
 * temporary files of `outputs` made since now and exit with 130 / 143.
 */
export function cleanUpOnSignal(outputs: string[], stream: NodeJS.WriteStream = process.stderr): () => void {
  const before = new Set(outputs.flatMap(tempsOf));
  const handler = (signal: NodeJS.Signals) => {
    // Removed twice: a directory the writer was creating a moment ago may come back once.
    const removed = new Set<string>();
    for (let pass = 0; pass < 2; pass++) {
      for (const t of outputs.flatMap(tempsOf)) {
        if (before.has(t)) continue;
        try {
          rmSync(t, { recursive: true, force: true, maxRetries: 2 });
          removed.add(t);
        } catch {}
      }
    }
    const what = removed.size ? `; removed ${[...removed].map((t) => path.relative(process.cwd(), t) || t).join(", ")}` : "";
    stream.write(`\ninterrupted (${signal})${what}; nothing was written to ${outputs.join(", ")}\n`);
    process.exit(signal === "SIGINT" ? EXIT.sigint : EXIT.sigterm);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
