/**
 * The one error base of every cellfolio package. Each error says what kind of
 * failure it is (`code`), where (`file`: the path or URL at fault, or the
 * option for a bad option; `element`: the path inside the file, when there is
 * one; "" or undefined: the file as a whole) and what was wrong (`problem`).
 * The message is `file: /element: problem` (`file: problem` for the file as a
 * whole) unless a subclass words it otherwise. Test with `isCellfolioError(e, code)`.
 */
export class CellfolioError extends Error {
  constructor(
    readonly code: string,
    readonly file: string,
    readonly element: string | undefined,
    readonly problem: string,
    options?: { cause?: unknown; message?: string },
  ) {
    const at = CellfolioError.at(element);
    super(options?.message ?? `${file ? `${file}: ` : ""}${at ? `${at}: ` : ""}${problem}`, options);
    this.name = "CellfolioError";
  }

  /** Where in the file, as messages say it: "/element", or "" for the file as a whole. */
  get at(): string {
    return CellfolioError.at(this.element);
  }

  /** An element as messages say it (subclasses that word their own message use it too). */
  static at(element: string | undefined): string {
    const path = element?.replace(/^\/+/, "") ?? "";
    return path ? `/${path}` : "";
  }
}

/** Whether `e` is a cellfolio error (of `code`, when given). */
export function isCellfolioError(e: unknown, code?: string): e is CellfolioError {
  return e instanceof CellfolioError && (code === undefined || e.code === code);
}
