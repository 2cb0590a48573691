import { CellfolioError } from "@cellfolio/format";

/**
 * An error about one dataset: names the dataset (path or URL), the element
 * inside it and, where there is one, the cell or channel asked for.
 */
export class DatasetError extends CellfolioError {
  constructor(
    dataset: string,
    element: string,
    problem: string,
    options?: { cause?: unknown; id?: string | number | bigint },
  ) {
    const id = options?.id;
    const where = `${CellfolioError.at(element)}${id !== undefined ? ` [${String(id)}]` : ""}`.trim();
    const message = `${dataset}: ${where ? `${where}: ` : ""}${problem}`;
    super("dataset", dataset, element, problem, { cause: options?.cause, message });
    this.name = "DatasetError";
    this.id = id;
  }
  readonly id: string | number | bigint | undefined;
}
