// Long copies run as chains of promises that settle at once (fill chunks,
// chunks buffered into a shard in memory): such a chain never gives the
// event loop a turn, so a Ctrl-C / SIGTERM handler (the CLI's
// interrupt.ts), a timer or a page's input waits until the copy ends.
// `letOthersRun` gives the event loop a turn when YIELD_MS have passed since
// the last one: cheap enough to call per chunk.

const YIELD_MS = 50;
let last = Date.now();

export async function letOthersRun(): Promise<void> {
  const now = Date.now();
  if (now - last < YIELD_MS) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  last = Date.now();
}
