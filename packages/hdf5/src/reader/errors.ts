import { CellfolioError } from "@cellfolio/codecs";

/**
 * An error about one object of one HDF5 file: names the file (or URL), the
 * object path inside it and what was wrong, so a user can act on one line.
 */
export class Hdf5Error extends CellfolioError {
  constructor(file: string, objectPath: string, problem: string, options?: { cause?: unknown }) {
    super("hdf5", file, objectPath, problem, options);
    this.name = "Hdf5Error";
  }
}
