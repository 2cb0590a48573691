import { CellfolioError } from "@cellfolio/hdf5";

/**
 * An error about one element of one file: names the file (or URL), the element
 * path inside it and what was expected, so a user can act on one line.
 */
export class FormatError extends CellfolioError {
  constructor(source: string, elementPath: string, problem: string, options?: { cause?: unknown }) {
    super("format", source, elementPath, problem, options);
    this.name = "FormatError";
  }
}
