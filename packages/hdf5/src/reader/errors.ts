/**
 * An error about one object of one HDF5 file: names the file (or URL), the
 * object path inside it and what was wrong, so a user can act on one line.
 */
export class Hdf5Error extends Error {
  constructor(
    readonly file: string,
    readonly objectPath: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${objectPath ? `/${objectPath.replace(/^\/+/, "")}` : "/"}: ${problem}`, options);
    this.name = "Hdf5Error";
  }
}
