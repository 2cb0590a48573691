/**
 * The one error base of every cellfolio package. Each error says what kind of
 * failure it is (`code`), where (`file`: the path or URL at fault, or the
 * option for a bad option; `element`: the path inside the file, when there is
 * one) and what was wrong (`problem`). The message is `file: /element: problem`
 * unless a subclass words it otherwise. Test with `isCellfolioError(e, code)`.
 */
export class CellfolioError extends Error {
  constructor(
    readonly code: string,
    readonly file: string,
    readonly element: string | undefined,
    readonly problem: string,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? `${file ? `${file}: ` : ""}${element !== undefined ? `/${element.replace(/^\/+/, "")}: ` : ""}${problem}`, options);
    this.name = "CellfolioError";
  }
}

/** Whether `e` is a cellfolio error (of `code`, when given). */
export function isCellfolioError(e: unknown, code?: string): e is CellfolioError {
  return e instanceof CellfolioError && (code === undefined || e.code === code);
}
