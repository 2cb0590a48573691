/**
 * An error about one input of an extraction (the image, a mask, the labels,
 * the output, an option): names it and says what was expected, so a user can
 * act on one line.
 */
export class ExtractError extends Error {
  constructor(
    /** The input at fault: a file path, or an option name such as "size". */
    readonly input: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${input}: ${problem}`, options);
    this.name = "ExtractError";
  }
}
