/** Thrown when a source cannot give the bytes asked for; the message starts with the file path or URL. */
export class SourceError extends Error {
  constructor(
    readonly sourceName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${sourceName}: ${message}`, options);
    this.name = "SourceError";
  }
}
