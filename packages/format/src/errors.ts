/**
 * An error about one element of one file: names the file (or URL), the element
 * path inside it and what was expected, so a user can act on one line.
 */
export class FormatError extends Error {
  constructor(
    readonly source: string,
    readonly elementPath: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${elementPath ? `/${elementPath.replace(/^\/+/, "")}` : "/"}: ${problem}`, options);
    this.name = "FormatError";
  }
}
