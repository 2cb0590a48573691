/** A mistake in how the command was called: exit code 2, with the usage line. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The exit codes a script can rely on. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;
