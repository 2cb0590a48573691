import { CellfolioError } from "@cellfolio/codecs";

/** Thrown when a source cannot give the bytes asked for; the message starts with the file path or URL. */
export class SourceError extends CellfolioError {
  constructor(sourceName: string, problem: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? "source", sourceName, undefined, problem, options);
    this.name = "SourceError";
  }
}
