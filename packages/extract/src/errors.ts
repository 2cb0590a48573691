import { CellfolioError } from "@cellfolio/format";

/**
 * An error about one input of an extraction (the image, a mask, the labels,
 * the output, an option): names it and says what was expected, so a user can
 * act on one line.
 */
export class ExtractError extends CellfolioError {
  constructor(
    /** The input at fault: a file path, or an option name such as "size". */
    readonly input: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super("extract", input, undefined, problem, options);
    this.name = "ExtractError";
  }
}
